// The import boundaries of .dependency-cruiser.mjs, checked through dependency-cruiser itself as
// `npm run lint` runs it: each fixture under test/fixtures/import-boundaries/ is a tiny tree laid out
// like the project (common/, config/, worker/, dev/, sim/, ...), cruised with the project's rules.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: string;
  from: string;
  /** for a cycle, the next module in it */
  to: string;
}

/**
 * Cruises one fixture tree with the project's rules and the reporter `npm run lint` uses, whose exit
 * code is the number of errors and which prints each as "error <rule>: <from> → <to>".
 */
async function cruise(fixture: string): Promise<{ exitCode: number; violations: Violation[] }> {
  const args = [depcruise, '--config', join(root, '.dependency-cruiser.mjs'), '.'];
  const cwd = join(root, 'test/fixtures/import-boundaries', fixture);
  const { stdout, exitCode } = await execFileAsync(process.execPath, args, { cwd }).then(
    ({ stdout }) => ({ stdout, exitCode: 0 }),
    (err: { stdout: string; code: number }) => ({ stdout: err.stdout, exitCode: err.code }),
  );
  const violations = [...stdout.matchAll(/error (\S+): (\S+) →\s+(\S+)/g)].map(([, rule, from, to]) => ({ rule, from, to }));
  return { exitCode, violations };
}

test('a circular import fails the check', async () => {
  const { exitCode, violations } = await cruise('cycle');
  assert.equal(exitCode, 1, 'a cycle is one error');
  assert.equal(violations.length, 1);
  assert.equal(violations[0].rule, 'no-circular');
  assert.deepEqual([violations[0].from, violations[0].to].sort(), ['common/a.ts', 'common/b.ts']);
});

test('production code importing sim/, dev/ (even a type) or test/ fails the check', async () => {
  const { exitCode, violations } = await cruise('forbidden');
  assert.equal(exitCode, 3);
  assert.deepEqual(violations.map((v) => `${v.rule}: ${v.from} -> ${v.to}`).sort(), [
    'production-not-to-dev-harness: api/server.ts -> dev/localStack.ts',
    'production-not-to-dev-harness: config/clock.ts -> test/support.ts',
    'production-not-to-dev-harness: worker/main.ts -> sim/index.ts',
  ]);
});

test('the allowed direction passes: dev/ and sim/ stand on production code, production on common/', async () => {
  assert.deepEqual(await cruise('clean'), { exitCode: 0, violations: [] });
});
