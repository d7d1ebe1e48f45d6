// The operator CLI (cli/) against the API's HTTP layer over fake services, served on a real port:
// what each command sends, its table and JSON output, its exit codes, and that the token never
// shows. The CLI against the real stack: test/cli-e2e.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { runCli } from '../cli/run.js';
import { fakeDeps, TOKENS, type FakeDeps } from './support/apiFakes.js';
import { freePort } from './support/ports.js';

describe('lke-rotator CLI', () => {
  let app: FastifyInstance;
  let deps: FakeDeps;
  let url: string;
  let dir: string;
  let operatorTokenFile: string;

  before(async () => {
    deps = fakeDeps();
    app = await buildApp(deps);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'lke-rotator-cli-'));
    operatorTokenFile = join(dir, 'operator-token');
    await writeFile(operatorTokenFile, `${TOKENS.operator}\n`, { mode: 0o600 });
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(args: string[], env: NodeJS.ProcessEnv = { LKE_ROTATOR_URL: url, LKE_ROTATOR_TOKEN_FILE: operatorTokenFile }) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env, tty: false });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('rotate sends the options, status shows a table and JSON', async () => {
    const started = await cli(['rotate', '101', '--restart', 'kube-system', '--recycle', '--dry-run']);
    assert.equal(started.code, 0, started.err);
    assert.match(started.out, /started rotate-cluster-101/);
    assert.deepEqual(deps.rotations.started.at(-1), {
      clusterId: 101, requestedBy: 'olga', restart: { scope: 'kube-system' }, recycle: { mode: 'rolling' }, dryRun: true,
    });
    const table = await cli(['status', '101']);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /phase\s*│\s*AwaitingApproval/);
    assert.match(table.out, /requested by\s*│\s*olga/);
    const json = await cli(['status', '101', '-o', 'json']);
    assert.equal((JSON.parse(json.out) as { status: { clusterId: number } }).status.clusterId, 101);
  });

  test('steering verbs send the API its control; a refusal exits 1 with the API\'s message', async () => {
    const paused = await cli(['pause', '101']);
    assert.equal(paused.code, 0, paused.err);
    assert.deepEqual(deps.rotations.controls.at(-1), { clusterId: 101, control: { update: 'pause', input: { by: 'olga' } } });
    const refused = await cli(['retry', '101']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^error: conflict: retry applies only to a Blocked rotation/);
    assert.doesNotMatch(refused.err, /\bat .+:\d+:\d+/, 'no stack trace');
    const ownGate = await cli(['approve', '101'], { LKE_ROTATOR_URL: url, LKE_ROTATOR_TOKEN: TOKENS.opsApprover });
    assert.equal(ownGate.code, 0, ownGate.err);
  });

  test('usage mistakes exit 2 before any request', async () => {
    const before = deps.rotations.controls.length;
    for (const args of [['status', 'abc'], ['abort', '101'], ['frobnicate'], ['list', '--phase', 'Sleeping'], ['fleet', 'start', '--name', 'x'], ['watch', 'nightly']]) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.err}`);
      assert.match(result.err, /error/);
    }
    assert.equal(deps.rotations.controls.length, before, 'nothing was sent');
    const noToken = await cli(['status', '101'], { LKE_ROTATOR_URL: url });
    assert.equal(noToken.code, 2);
    assert.match(noToken.err, /no API token: pass --token-file, or set LKE_ROTATOR_TOKEN_FILE/);
  });

  test('a wrong token exits 1 with the API\'s message and is never echoed; an unreachable API is one line', async () => {
    const wrong = 'wrong-token-that-must-not-appear-0123';
    const result = await cli(['status', '101'], { LKE_ROTATOR_URL: url, LKE_ROTATOR_TOKEN: wrong });
    assert.equal(result.code, 1);
    assert.equal(result.err, 'error: unauthorized: a valid bearer token is required');
    assert.ok(!result.out.includes(wrong) && !result.err.includes(wrong));
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await cli(['status', '101'], { LKE_ROTATOR_URL: nobody, LKE_ROTATOR_TOKEN: wrong });
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.err, `error: cannot reach the API at ${nobody} (ECONNREFUSED)`);
    assert.ok(!unreachable.err.includes(wrong));
  });

  test('fleet start builds the selector; fleet status shows the clusters', async () => {
    const started = await cli(['fleet', 'start', '--name', 'nightly', '--tag', 'prod', '--region', 'us-iad', '--concurrency', '3', '--error-budget', '10%']);
    assert.equal(started.code, 0, started.err);
    assert.deepEqual(deps.fleets.started.at(-1), {
      name: 'nightly', requestedBy: 'olga', selector: { tags: ['prod'], regions: ['us-iad'] }, concurrency: 3, errorBudget: { percent: 10 },
    });
    const status = await cli(['fleet', 'status', 'nightly']);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /prod-a/);
  });

  test('fleet resume continues a terminated fleet; a completed one is refused with exit 1', async () => {
    await deps.fleets.start({ name: 'cut-off', requestedBy: 'olga', selector: { tags: ['x'] } });
    const view = deps.fleets.views.get('rotate-fleet-cut-off')!;
    deps.fleets.views.set('rotate-fleet-cut-off', { ...view, execution: 'TERMINATED' });
    const resumed = await cli(['fleet', 'resume', 'cut-off']);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, /continued in a new run rotate-fleet-cut-off/);
    deps.fleets.views.set('rotate-fleet-cut-off', { ...view, execution: 'COMPLETED' });
    const refused = await cli(['fleet', 'resume', 'cut-off']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^error: conflict: .*nothing to resume/);
  });

  test('--help lists every command with an example; exit 0', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['rotate', 'status', 'list', 'approve', 'reject', 'pause', 'resume', 'retry', 'skip', 'abort', 'watch', 'fleet']) {
      assert.match(help.out, new RegExp(`\\n  ${command}\\b`), command);
      assert.match(help.out, new RegExp(`\\n  lke-rotator ${command}\\b`), `an example of ${command}`);
    }
    assert.match(help.out, /Exit codes: 0 ok; 1 refused/);
    const fleetHelp = await cli(['fleet', 'start', '--help']);
    assert.match(fleetHelp.out, /Example:\n\s+lke-rotator fleet start --name nightly/);
  });
});
