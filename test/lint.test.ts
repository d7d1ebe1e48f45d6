// The determinism ban of eslint.config.js, checked through ESLint itself: fixture files are linted
// as if they lived under workflows/ (or activities/, where I/O is the point).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = join(import.meta.dirname, '..');
// The fixtures are not on disk under workflows/, so the type-aware parser cannot place them in the
// project; the import and global bans need no types.
const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });

async function lintAs(fixture: string, path: string): Promise<{ ruleId: string | null; message: string; line: number }[]> {
  const code = await readFile(join(root, 'test/fixtures/lint', fixture), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result.messages.map(({ ruleId, message, line }) => ({ ruleId, message, line }));
}

test('importing node:fs under workflows/ is a lint error', async () => {
  const messages = await lintAs('node-fs-workflow.ts', 'workflows/node-fs-workflow.ts');
  assert.deepEqual(messages.map((m) => [m.ruleId, m.line]), [['@typescript-eslint/no-restricted-imports', 2]]);
  assert.match(messages[0].message, /'node:fs'.*Workflows must be deterministic/);
});

test('the same file outside workflows/ passes', async () => {
  assert.deepEqual(await lintAs('node-fs-workflow.ts', 'activities/node-fs-workflow.ts'), []);
});

test('bare built-ins, value imports of activity code, timers and process are refused under workflows/', async () => {
  const messages = await lintAs('nondeterministic-workflow.ts', 'workflows/nondeterministic-workflow.ts');
  const found = messages.map((m) => `${m.line}:${m.ruleId}`);
  assert.deepEqual(found.sort(), [
    '2:@typescript-eslint/no-restricted-imports', // crypto
    '3:@typescript-eslint/no-restricted-imports', // value import of activities
    '6:no-restricted-globals', // setTimeout
    '7:no-restricted-globals', // process
  ]);
});

test('a clean workflow passes: SDK workflow API, common/, type-only imports of activities', async () => {
  assert.deepEqual(await lintAs('clean-workflow.ts', 'workflows/clean-workflow.ts'), []);
});
