// The operator CLI (cli/) against the API's HTTP layer over fake services, served on a real port:
// what each command sends, its table and JSON output, its exit codes, and that the token never
// shows. The CLI against the real stack: test/cli-e2e.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import type { FleetView, RotationView } from '../client/views.js';
import { ApiClient, ApiRequestError, CliError } from '../cli/http.js';
import { runCli } from '../cli/run.js';
import { watch } from '../cli/watch.js';
import { TERMINAL_PHASES } from '../common/names.js';
import type { RotationStatus } from '../common/types.js';
import { fakeDeps, statusFor, TOKENS, type FakeDeps } from './support/apiFakes.js';
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

  test('usage mistakes exit 2 with the usage hint, before any request', async () => {
    const sent = () => deps.rotations.controls.length + deps.rotations.started.length + deps.rotations.listed.length +
      deps.fleets.started.length + deps.fleets.controls.length;
    const before = sent();
    const cases: [string[], RegExp][] = [
      [['status', 'abc'], /a cluster id is a positive whole number/],
      [['status', '99999999999'], /a cluster id is a positive whole number/],
      [['abort', '101'], /required option '--reason <why>'/],
      [['reject', '101', '--reason', '  '], /must not be empty/],
      [['approve', '101', '--comment', 'x'.repeat(1001)], /at most 1000 characters/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['rotate', '101', '--restart', 'everything'], /Allowed choices are none, affected, kube-system, all/],
      [['rotate', '101', '--recycle', '--drain-timeout', '0'], /positive whole number/],
      [['list', '--phase', 'Sleeping'], /Allowed choices are Snapshotting/],
      [['list', '--page-size', '5000'], /at most 1000/],
      [['list', '--page-token', 'not a token'], /not a page token/],
      [['-o', 'yaml', 'status', '101'], /Allowed choices are table, json/],
      [['fleet', 'start', '--name', 'x'], /choose clusters/],
      [['fleet', 'start', '--tag', 'prod'], /required option '--name <name>'/],
      [['fleet', 'start', '--name', 'Nightly_Run', '--tag', 'prod'], /lowercase letters, digits and "-"/],
      [['fleet', 'start', '--name', 'n', '--label', '/(unclosed/'], /labelPattern "\/\(unclosed\/" is not valid/],
      [['fleet', 'start', '--name', 'n', '--region', 'US East'], /a region id such as us-iad/],
      [['fleet', 'start', '--name', 'n', '--all', '--concurrency', '0'], /positive whole number/],
      [['fleet', 'start', '--name', 'n', '--all', '--concurrency', '1001'], /at most 1000/],
      [['fleet', 'start', '--name', 'n', '--all', '--error-budget', '120%'], /a count \(3\) or a percentage/],
      [['fleet', 'status', 'Bad!'], /not a fleet name/],
      [['fleet', 'abort', 'nightly'], /required option '--reason <why>'/],
      [['fleet', 'retry', 'nightly', '--cluster', 'x'], /a cluster id is a positive whole number/],
      [['watch', 'Bad!'], /"Bad!" is not a cluster id or fleet name/],
      [['watch', '101', '--interval', '0'], /positive whole number/],
    ];
    for (const [args, reason] of cases) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.err}`);
      assert.match(result.err, /^error: /, args.join(' '));
      assert.match(result.err, reason, args.join(' '));
      assert.match(result.err, /\(run with --help for usage\)|Did you mean/, `${args.join(' ')}: points to the usage`);
      assert.doesNotMatch(result.err, /\bat .+:\d+:\d+/, 'no stack trace');
    }
    assert.equal(sent(), before, 'nothing was sent');
    const noToken = await cli(['status', '101'], { LKE_ROTATOR_URL: url });
    assert.equal(noToken.code, 2);
    assert.match(noToken.err, /no API token: pass --token-file, or set LKE_ROTATOR_TOKEN_FILE/);
    const badUrl = await cli(['status', '101'], { LKE_ROTATOR_URL: 'ftp://example.com', LKE_ROTATOR_TOKEN: TOKENS.viewer });
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.err, /the API URL must be http\(s\):\/\/host:port/);
  });

  test('a token that cannot be a header, a URL with credentials: exit 2, neither echoed', async () => {
    const secret = 'two-line-secret-0123';
    const twoLines = join(dir, 'two-lines');
    await writeFile(twoLines, `${secret}\nsecond-line`, { mode: 0o600 });
    const fromFile = await cli(['status', '101'], { LKE_ROTATOR_URL: url, LKE_ROTATOR_TOKEN_FILE: twoLines });
    assert.equal(fromFile.code, 2);
    assert.match(fromFile.err, /^error: the API token in .*two-lines has characters a bearer token cannot carry/);
    const fromEnv = await cli(['status', '101'], { LKE_ROTATOR_URL: url, LKE_ROTATOR_TOKEN: `${secret}€` });
    assert.equal(fromEnv.code, 2);
    const withCredentials = await cli(['status', '101'], { LKE_ROTATOR_URL: url.replace('//', `//admin:${secret}@`), LKE_ROTATOR_TOKEN: TOKENS.viewer });
    assert.equal(withCredentials.code, 2);
    assert.match(withCredentials.err, /must not carry credentials/);
    for (const result of [fromFile, fromEnv, withCredentials]) assert.ok(!result.err.includes(secret) && !result.out.includes(secret), result.err);
  });

  test('list sends its filters and a page token, and says where the next page is', async () => {
    const table = await cli(['list', '--phase', 'Blocked', '--cluster', '101', '--fleet', 'nightly', '--page-size', '7', '--page-token', 'abc_-1']);
    assert.equal(table.code, 0, table.err);
    assert.deepEqual(deps.rotations.listed.at(-1), { phase: 'Blocked', clusterId: 101, fleetRotationId: 'nightly', pageSize: 7, nextPageToken: 'abc_-1' });
    assert.equal(table.out, 'no rotations');
    const json = await cli(['list', '-o', 'json']);
    assert.deepEqual(JSON.parse(json.out), { rotations: [], nextPageToken: null });
    const fleets = await cli(['fleet', 'list']);
    assert.equal(fleets.code, 0, fleets.err);
  });

  test('watch takes a cluster id or a fleet name and exits with the final phase', async () => {
    await deps.fleets.start({ name: 'watched', requestedBy: 'olga', selector: { tags: ['x'] } });
    const view = deps.fleets.views.get('rotate-fleet-watched')!;
    deps.fleets.views.set('rotate-fleet-watched', { ...view, execution: 'COMPLETED', status: { ...view.status!, phase: 'Completed', pendingGate: null } });
    const done = await cli(['watch', 'watched', '-o', 'json']);
    assert.equal(done.code, 0, done.err);
    assert.equal((JSON.parse(done.out) as FleetView).status?.phase, 'Completed');
    deps.fleets.views.set('rotate-fleet-watched', { ...view, execution: 'COMPLETED', status: { ...view.status!, phase: 'CompletedWithFailures', pendingGate: null } });
    const failed = await cli(['watch', 'watched']);
    assert.equal(failed.code, 1);
    assert.match(failed.out, /fleet watched: CompletedWithFailures/);
    const missing = await cli(['watch', '4242']);
    assert.equal(missing.code, 1);
    assert.equal(missing.err, 'error: not_found: cluster 4242 has no rotation');
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

  test('fleet start --stage sends the stages; fleet status shows them with the soak finding; fleet approve --stage names the stage', async () => {
    const started = await cli(['fleet', 'start', '--name', 'staged', '--tag', 'prod',
      '--stage', 'name=canary,count=1,approval,soak=600', '--stage', 'percent=10', '--stage', 'rest']);
    assert.equal(started.code, 0, started.err);
    assert.deepEqual(deps.fleets.started.at(-1)?.stages, [
      { name: 'canary', select: { count: 1 }, approval: true, soakMs: 600_000 }, { select: { percent: 10 } }, { select: { rest: true } },
    ]);
    const view = deps.fleets.views.get('rotate-fleet-staged')!;
    const finding = { clusterId: 101, reason: 'node lke101-a is NotReady', at: '2026-01-01T00:10:00Z' };
    deps.fleets.views.set('rotate-fleet-staged', { ...view, status: { ...view.status!, phase: 'Halted', halted: true, stages: [
      { name: 'canary', select: 'first 1', clusters: 1, state: 'halted', approval: true, gateKind: 'stage', approvedBy: null, soakMs: 600_000,
        soak: { checks: 2, lastCheckAt: finding.at, until: null, findings: [finding] } },
      { name: 'rest', select: 'the rest', clusters: 1, state: 'pending', approval: false, gateKind: 'stage', approvedBy: null, soakMs: 0, soak: null },
    ] } });
    const status = await cli(['fleet', 'status', 'staged']);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /canary\s*│\s*first 1\s*│\s*1\s*│\s*halted\s*│\s*approval\s*│\s*cluster 101: node lke101-a is NotReady/);
    assert.match(status.out, /stage\s*│\s*canary \(1 of 2\)/);
    const approverFile = join(dir, 'approver-token');
    await writeFile(approverFile, `${TOKENS.approver}\n`, { mode: 0o600 });
    const approved = await cli(['--token-file', approverFile, 'fleet', 'approve', 'staged', '--stage', 'canary']);
    assert.equal(approved.code, 0, approved.err);
    assert.deepEqual(deps.fleets.controls.at(-1)?.control, { update: 'approve', input: { by: 'ana', stage: 'canary' } });
    for (const [args, reason] of [
      [['fleet', 'start', '--name', 'n', '--all', '--stage', 'rest', '--stage', 'count=1'], /only the last stage may take the rest/],
      [['fleet', 'start', '--name', 'n', '--all', '--stage', 'count=1,tag=db'], /one of count, percent, region, tag, rest per stage/],
      [['fleet', 'approve', 'staged', '--stage', 'Canary!'], /a stage name is/],
    ] as [string[], RegExp][]) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.err}`);
      assert.match(result.err, reason);
    }
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

describe('lke-rotator watch and its HTTP client', () => {
  const rotation = (phase: RotationStatus['phase'], tokensDeleted = 0): RotationView => ({
    workflowId: 'rotate-cluster-7', runId: 'r1', execution: TERMINAL_PHASES.includes(phase) ? 'COMPLETED' : 'RUNNING',
    status: { ...statusFor({ clusterId: 7, requestedBy: 'olga' }, phase), progress: { tokensDeleted, tokensTotal: 4, workloadsRestarted: 0, workloadsTotal: 0, nodesRecycled: 0, nodesTotal: 0 } },
  });
  /** An API that answers the given reads in order (an Error is thrown instead of answered). */
  const scripted = (answers: (RotationView | Error)[]) => {
    let reads = 0;
    return {
      get reads() { return reads; },
      async get<T>(): Promise<T> {
        const next = answers[Math.min(reads++, answers.length - 1)];
        if (next instanceof Error) throw next;
        return next as T;
      },
    };
  };

  test('a line per change, not per read; exit 0 on Completed, 1 on Failed', async () => {
    const lines: string[] = [];
    const api = scripted([rotation('DeletingTokens', 1), rotation('DeletingTokens', 1), rotation('Verifying', 4), rotation('Completed', 4)]);
    assert.equal(await watch(api, { cluster: 7 }, { intervalMs: 1, mode: 'lines', write: (l) => lines.push(l) }), 0);
    assert.deepEqual(lines.map((l) => l.replace(/^\S+ /, '')), ['cluster 7: DeletingTokens', 'cluster 7: Verifying', 'cluster 7: Completed']);
    assert.equal(await watch(scripted([rotation('Failed')]), { cluster: 7 }, { intervalMs: 1, mode: 'lines', write: () => {} }), 1);
  });

  test('JSON mode prints one parseable view per change, the last one final', async () => {
    const lines: string[] = [];
    const code = await watch(scripted([rotation('DeletingTokens', 1), rotation('Completed', 4)]), { cluster: 7 }, { intervalMs: 1, mode: 'json', write: (l) => lines.push(l) });
    assert.equal(code, 0);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as RotationView).status?.phase), ['DeletingTokens', 'Completed']);
  });

  test('an unreachable API mid-watch is read again; a refusal or a dead API at the start ends it', async () => {
    const blip = new CliError('cannot reach the API at http://x (ECONNREFUSED)');
    const lines: string[] = [];
    const recovered = scripted([rotation('Verifying'), blip, new ApiRequestError(503, 'unavailable', 'Temporal is unavailable'), rotation('Completed')]);
    assert.equal(await watch(recovered, { cluster: 7 }, { intervalMs: 1, mode: 'lines', write: (l) => lines.push(l) }), 0);
    assert.equal(lines.filter((l) => l.endsWith('reading again')).length, 2);
    await assert.rejects(watch(scripted([blip]), { cluster: 7 }, { intervalMs: 1, mode: 'lines', write: () => {} }), /cannot reach/);
    const refused = scripted([rotation('Verifying'), new ApiRequestError(403, 'forbidden', 'no')]);
    await assert.rejects(watch(refused, { cluster: 7 }, { intervalMs: 1, mode: 'lines', write: () => {} }), ApiRequestError);
    assert.equal(refused.reads, 2, 'a refusal is not read again');
    const gone = scripted([rotation('Verifying'), blip]);
    await assert.rejects(watch(gone, { cluster: 7 }, { intervalMs: 1, mode: 'lines', write: () => {} }), /cannot reach/);
    assert.equal(gone.reads, 6, 'five failed reads in a row end the watch');
  });

  test('errors: the API\'s code and message, a non-JSON answer named, the token never repeated', async () => {
    const token = 'echoed-token-0123456789';
    const server = createServer((req, res) => {
      if (req.url === '/html') {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
        return;
      }
      // a careless server (or proxy) that quotes the request back
      res.writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'invalid_request', message: `bad header ${req.headers.authorization}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const api = new ApiClient({ url, token });
      const echoed = await api.get('/echo').catch((err: unknown) => err);
      assert.ok(echoed instanceof ApiRequestError);
      assert.equal(echoed.status, 400);
      assert.equal(echoed.message, 'invalid_request: bad header Bearer [token]');
      const html = await api.get('/html').catch((err: unknown) => err);
      assert.ok(html instanceof CliError);
      assert.equal(html.message, `the API at ${url} answered 502 with something that is not JSON`);
    } finally {
      server.close();
    }
  });
});
