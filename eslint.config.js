// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Workflow code runs in Temporal's deterministic sandbox and is replayed from history:
// anything that touches the clock, randomness, I/O or the network outside the SDK breaks replay.
const NON_DETERMINISTIC = [
  { group: ['node:*'], message: 'Workflows must be deterministic: no Node built-ins under workflows/.' },
  ...[
    'fs', 'fs/promises', 'path', 'os', 'crypto', 'http', 'https', 'net', 'tls', 'dns', 'child_process',
    'worker_threads', 'cluster', 'timers', 'timers/promises', 'process', 'stream', 'zlib', 'util', 'events',
  ].map((name) => ({ group: [name], message: `Workflows must be deterministic: '${name}' is a Node built-in.` })),
  { group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client', '@temporalio/testing'],
    message: 'Workflows may import only @temporalio/workflow and @temporalio/common from the SDK.' },
  { group: ['@linode/*', '@kubernetes/*', 'axios', 'fastify', 'pino', 'yaml', 'undici', 'node-fetch'],
    message: 'Workflows must not do I/O: call an activity instead.' },
  { group: ['**/activities/*.js', '**/activities/**/*.js', '**/api/**', '**/sim/**', '**/config/**', '**/dev/**', '**/worker/**'],
    allowTypeImports: true,
    message: 'Workflows may import activity and service code only as types (import type ...).' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/fixtures/lint/**', 'test/fixtures/import-boundaries/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: NON_DETERMINISTIC }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop from @temporalio/workflow.' },
        { name: 'process', message: 'Workflows must not read the process environment.' },
      ],
    },
  },
);
