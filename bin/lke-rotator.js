#!/usr/bin/env node
/* global process */
// The `lke-rotator` bin: the built CLI (dist/cli/main.js, as in the image) when it exists, else the
// TypeScript source through tsx (a fresh clone after `npm ci`).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
if (existsSync(built)) {
  await import(built);
} else {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
