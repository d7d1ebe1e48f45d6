// The operator CLI end to end, as an operator runs it: `cli/main.ts` in its own process (and the
// `bin/lke-rotator.js` shim once) against the real API over a dev server, a worker with the live
// activities and the simulator. alice rotates, bob approves, watch follows it to Completed; a fleet
// steered through both gates; bad input, a wrong token, an API nobody answers.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiLogger } from '../api/logging.js';
import { startApiServer, type RunningApi } from '../api/server.js';
import type { FleetView, RotationView } from '../client/views.js';
import { loadConfig } from '../config/config.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { freePort } from './support/ports.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'lke-rotator.js');
/** The source itself, so a stale dist/ from an earlier build cannot stand in for it. */
const SOURCE = ['--import', 'tsx', join(ROOT, 'cli', 'main.ts')];

describe('lke-rotator CLI against the real stack', { timeout: 240_000 }, () => {
  let stack: LocalStack;
  let api: RunningApi;
  let dir: string;
  const tokenFiles: Record<string, string> = {};
  const tokens = { alice: 'alice-token-0123456789abcdef', bob: 'bob-token-0123456789abcdef' };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lke-rotator-cli-e2e-'));
    for (const [name, token] of Object.entries(tokens)) {
      tokenFiles[name] = join(dir, `${name}.token`);
      await writeFile(tokenFiles[name], token, { mode: 0o600 });
    }
    // 0.002: LKE's minutes-long kubeconfig wait takes well under a second
    stack = await startLocalStack({
      simulator: { clusters: 2, seed: 11, timeScale: 0.002, tokenCacheMs: 0, rateLimit: false },
      activities: { pollIntervalMs: 20, tokenCacheWindowMs: 50, retryAfterScale: 0.002 },
    });
    api = await startApiServer({
      config: loadConfig({ API_PORT: '0' }), composition: stack.composition, client: stack.client, port: 0,
      tokens: [{ name: 'alice', token: tokens.alice, roles: ['operator'] }, { name: 'bob', token: tokens.bob, roles: ['viewer', 'approver'] }],
      logger: createApiLogger({ level: 'silent' }),
    });
  });
  after(async () => {
    await api?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function cli(as: keyof typeof tokens | null, args: string[], env: NodeJS.ProcessEnv = {}) {
    try {
      const { stdout, stderr } = await run(process.execPath, [...SOURCE, ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LKE_ROTATOR_URL: api.url, ...(as ? { LKE_ROTATOR_TOKEN_FILE: tokenFiles[as] } : {}), ...env },
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  test('alice rotates, her own approval is refused, bob approves, watch follows it to Completed', async () => {
    const clusterId = stack.sim.state.list()[0].cluster.id;
    const started = await cli('alice', ['rotate', String(clusterId), '-o', 'json']);
    assert.equal(started.code, 0, started.stderr);
    assert.equal((JSON.parse(started.stdout) as { workflowId: string }).workflowId, `rotate-cluster-${clusterId}`);

    let status: RotationView;
    for (let i = 0; ; i++) {
      const read = await cli('bob', ['status', String(clusterId), '-o', 'json']);
      assert.equal(read.code, 0, read.stderr);
      status = JSON.parse(read.stdout) as RotationView;
      if (status.status?.pendingGate) break;
      assert.ok(i < 100, 'the rotation reached its gate');
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(status.status?.requestedBy, 'alice');

    const own = await cli('alice', ['approve', String(clusterId)]);
    assert.equal(own.code, 1, 'alice is an operator, not an approver');
    assert.match(own.stderr, /^error: forbidden: /);

    const approved = await cli('bob', ['approve', String(clusterId), '--comment', 'plan checked']);
    assert.equal(approved.code, 0, approved.stderr);

    const watched = await cli('bob', ['watch', String(clusterId), '--interval', '1']);
    assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
    assert.match(watched.stdout, /cluster \d+: Completed/);
    assert.ok(!watched.stdout.includes('\u001b['), 'no progress bar when stdout is not a terminal');
    const watchedJson = await cli('bob', ['watch', String(clusterId), '-o', 'json']);
    assert.equal(watchedJson.code, 0, watchedJson.stderr);
    const views = watchedJson.stdout.trim().split('\n').map((line) => JSON.parse(line) as RotationView);
    assert.equal(views.at(-1)?.status?.phase, 'Completed');
    const final = await cli('bob', ['status', String(clusterId), '-o', 'json']);
    const finalView = JSON.parse(final.stdout) as RotationView;
    assert.equal(finalView.status?.phase, 'Completed');
    assert.ok(finalView.status?.approvals.some((a) => a.by === 'bob'), 'the approval is bob\'s, the name of his token');

    const listed = await cli('bob', ['list', '-o', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { rotations: { clusterId: number }[] }).rotations.some((r) => r.clusterId === clusterId));
    const table = await cli('bob', ['status', String(clusterId)]);
    assert.match(table.stdout, /phase\s*│\s*Completed/);
    // what the rotation cost of the account's Linode budget, by endpoint
    assert.equal(finalView.status?.linodeCalls?.byEndpoint['POST /lke/clusters/:id/regenerate'], 1);
    assert.match(table.stdout, /Linode API calls\s*│\s*\d+ \(GET \/lke\/clusters\/:id \d+, /);
  });

  test('a fleet: started by alice, both gates approved by bob, watched by name to Completed', async () => {
    const ids = stack.sim.state.list().map((c) => c.cluster.id);
    const started = await cli('alice', ['fleet', 'start', '--name', 'cli-e2e', ...ids.flatMap((id) => ['--cluster', String(id)]), '--concurrency', '2']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /started rotate-fleet-cli-e2e/);
    // steer it as an approver would: each child's own gate, then the fleet's canary gate, each once
    const approvedClusters = new Set<number>();
    let fleetApproved = false;
    for (let i = 0; ; i++) {
      const read = await cli('bob', ['fleet', 'status', 'cli-e2e', '-o', 'json']);
      assert.equal(read.code, 0, read.stderr);
      const view = JSON.parse(read.stdout) as FleetView;
      if (view.execution !== 'RUNNING') break;
      for (const cluster of view.status?.clusters ?? []) {
        if (cluster.rotationPhase === 'AwaitingApproval' && !approvedClusters.has(cluster.id)) {
          const approved = await cli('bob', ['approve', String(cluster.id)]);
          assert.equal(approved.code, 0, approved.stderr);
          approvedClusters.add(cluster.id);
        }
      }
      if (view.status?.pendingGate && !fleetApproved) {
        const own = await cli('alice', ['fleet', 'approve', 'cli-e2e']);
        assert.equal(own.code, 1, 'alice may not approve');
        const approved = await cli('bob', ['fleet', 'approve', 'cli-e2e', '--comment', 'canary fine']);
        assert.equal(approved.code, 0, approved.stderr);
        fleetApproved = true;
      }
      if (view.status?.phase === 'Completed') break;
      assert.ok(i < 200, `the fleet ends (${read.stdout.slice(0, 400)})`);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(fleetApproved, 'the canary gate was approved through the CLI');
    // the canary waits at its own gate; the fleet's approval then stands for the later waves
    assert.ok(approvedClusters.size >= 1, "the canary's own gate was approved through the CLI");
    const watched = await cli('bob', ['watch', 'cli-e2e', '-o', 'json']);
    assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
    const final = JSON.parse(watched.stdout.trim().split('\n').at(-1)!) as FleetView;
    assert.equal(final.status?.phase, 'Completed');
    assert.deepEqual(final.status?.clusters.map((c) => c.phase), ids.map(() => 'Completed'));
    const table = await cli('bob', ['fleet', 'status', 'cli-e2e']);
    assert.match(table.stdout, /phase\s*│\s*Completed/);
  });

  test('the bin shim runs the CLI: --help lists every command', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help'], { cwd: ROOT, timeout: 60_000 });
    for (const command of ['rotate', 'status', 'list', 'watch', 'fleet', 'approve', 'abort']) assert.match(stdout, new RegExp(`\\n  lke-rotator ${command}\\b`));
    assert.match(stdout, /Exit codes: 0 ok/);
  });

  test('bad input exits 2, a wrong token exits 1; neither prints a stack or the token', async () => {
    const bad = await cli('alice', ['rotate', 'twelve']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /a cluster id is a positive whole number/);
    const wrong = 'not-a-real-token-9876543210';
    const denied = await cli(null, ['status', '1'], { LKE_ROTATOR_TOKEN: wrong });
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr.trim(), 'error: unauthorized: a valid bearer token is required');
    const nobody = await freePort();
    const unreachable = await cli('alice', ['status', '1', '--url', `http://127.0.0.1:${nobody}`]);
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stderr, `error: cannot reach the API at http://127.0.0.1:${nobody} (ECONNREFUSED)\n`, 'one line');
    for (const text of [bad.stderr, denied.stderr, denied.stdout, unreachable.stderr]) {
      assert.ok(!text.includes(wrong) && !text.includes(tokens.alice), 'no token printed');
      assert.doesNotMatch(text, /\bat .+:\d+:\d+/, 'no stack trace');
    }
  });
});
