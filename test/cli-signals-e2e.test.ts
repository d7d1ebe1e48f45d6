// The Temporal CLI alone drives a rotation (README, "The Temporal CLI"): `temporal workflow start`
// with a static summary and details, the `status` Query, `temporal workflow signal` for the gate
// (the requester's own approval refused and shown in the status and Temporal Web's current details,
// then a second identity approves), `temporal workflow metadata` and `describe` for what Temporal
// Web shows. Real dev server, the LKE simulator, and a worker with the live activities.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { clusterRotationWorkflowId } from '../common/names.js';
import type { RotationReport, RotationStatus } from '../common/types.js';
import { resolveTemporalCli } from '../dev/binaries.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

let stack: LocalStack;
let cli: string;

before(async () => {
  cli = await resolveTemporalCli();
  stack = await startLocalStack({
    simulator: { clusters: 2, seed: 5, timeScale: 0.002, rateLimit: false },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
  });
});

after(async () => {
  await stack?.stop();
});

/** Runs `temporal workflow <args>` against the stack's server; the JSON it prints, parsed. */
async function temporal(...args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(cli,
    ['workflow', ...args, '--address', stack.server.address, '--namespace', stack.server.namespace, '--output', 'json'],
    { encoding: 'utf8', timeout: 60_000 });
  return stdout.trim() ? JSON.parse(stdout) : null;
}

async function status(workflowId: string): Promise<RotationStatus> {
  const answer = await temporal('query', '--workflow-id', workflowId, '--name', 'status') as { queryResult: RotationStatus[] };
  return answer.queryResult[0];
}

interface Metadata {
  currentDetails?: string;
  definition?: { signalDefinitions?: { name: string; description?: string }[] };
}

/** What Temporal Web shows as the run's current details and handler list. */
async function metadata(workflowId: string): Promise<Metadata> {
  return ((await temporal('metadata', '--workflow-id', workflowId)) as { queryResult: Metadata[] }).queryResult[0];
}

async function waitForStatus(workflowId: string, ready: (s: RotationStatus) => boolean, what: string): Promise<RotationStatus> {
  const deadline = Date.now() + 60_000;
  let last: RotationStatus | undefined;
  while (Date.now() < deadline) {
    last = await status(workflowId).catch(() => undefined);
    if (last && ready(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last phase ${last?.phase}`);
}

describe('the Temporal CLI drives a rotation with signals', { timeout: 240_000 }, () => {
  test('start, self-approval refused and visible, approval by a second identity, completed', async () => {
    const { cluster } = stack.sim.state.list()[0];
    const clusterId = cluster.id;
    const workflowId = clusterRotationWorkflowId(clusterId);
    await temporal('start', '--type', 'clusterRotation', '--task-queue', stack.taskQueue, '--workflow-id', workflowId,
      '--input', JSON.stringify({ clusterId, requestedBy: 'alice' }),
      '--static-summary', `Rotate LKE cluster ${clusterId} (${cluster.region})`,
      '--static-details', `Cluster **${clusterId}**, requested by **alice** from the Temporal CLI`);

    const gated = await waitForStatus(workflowId, (s) => s.phase === 'AwaitingApproval', 'the gate');
    assert.ok(gated.plan && gated.plan.deleteSecrets.length > 0, 'the plan is in the status');
    const approveLine = `temporal workflow signal --workflow-id ${workflowId} --name approve --input '{"by":"<your name>"}'`;
    const atGate = await metadata(workflowId);
    assert.ok(atGate.currentDetails?.includes(approveLine), `current details give the signal to send: ${atGate.currentDetails}`);
    assert.match(atGate.currentDetails ?? '', /Requested by \*\*alice\*\*[^]*#### Plan/);
    assert.match(atGate.definition?.signalDefinitions?.find((d) => d.name === 'approve')?.description ?? '', /four-eyes/);

    // The requester approves their own rotation: refused, and the refusal is where a human looks.
    await temporal('signal', '--workflow-id', workflowId, '--name', 'approve', '--input', '{"by":"alice"}');
    const refused = await waitForStatus(workflowId, (s) => (s.refusedSignals?.length ?? 0) > 0, 'the refusal');
    assert.equal(refused.phase, 'AwaitingApproval');
    assert.deepEqual(refused.refusedSignals?.map((r) => [r.signal, r.by]), [['approve', 'alice']]);
    assert.match(refused.refusedSignals?.[0].reason ?? '', /requester \(alice\) cannot approve their own rotation: four-eyes/);
    assert.ok(refused.timeline.some((e) => e.event === 'signal approve refused'));
    const afterRefusal = await metadata(workflowId);
    assert.match(afterRefusal.currentDetails ?? '', /Signal `approve` refused.*four-eyes/);
    assert.equal(stack.sim.audit.count({ clusterId }), 0, 'nothing was changed on the cluster');

    await temporal('signal', '--workflow-id', workflowId, '--name', 'approve', '--input', '{"by":"bob","comment":"from the CLI"}');
    const result = await temporal('result', '--workflow-id', workflowId) as { result?: RotationReport; status?: string };
    const report = result.result as RotationReport;
    assert.equal(report.phase, 'Completed', JSON.stringify(result).slice(0, 500));
    assert.deepEqual(report.finalStatus?.approvals.map((a) => [a.gate, a.by, a.comment]), [['beforeDelete', 'bob', 'from the CLI']]);
    assert.equal(stack.sim.audit.count({ clusterId, method: 'POST', path: /\/regenerate$/, applied: true }), 1, 'one regenerate');

    // `describe` shows the memo and the static summary and details decoded, as Temporal Web does
    const described = await temporal('describe', '--workflow-id', workflowId) as {
      workflowExecutionInfo?: { memo?: { fields?: Record<string, unknown> } };
      executionConfig?: { userMetadata?: { summary?: unknown; details?: unknown } };
    };
    const memo = described.workflowExecutionInfo?.memo?.fields as { clusterLabel?: string; region?: string; approvals?: { by: string }[] } | undefined;
    assert.deepEqual([memo?.clusterLabel, memo?.region, memo?.approvals?.map((a) => a.by)], [cluster.label, cluster.region, ['bob']]);
    assert.equal(described.executionConfig?.userMetadata?.summary, `Rotate LKE cluster ${clusterId} (${cluster.region})`);
    assert.match(String(described.executionConfig?.userMetadata?.details), /from the Temporal CLI/);
  });
});
