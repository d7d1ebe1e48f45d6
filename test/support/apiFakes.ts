// In-memory stand-ins for the API's services, so the HTTP layer (auth, validation, error format,
// the four-eyes rule) is tested on its own. The rotation lifecycle itself is tested against a real
// Temporal dev server in test/api.test.ts.
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { buildApp } from '../../api/app.js';
import type { ApiToken } from '../../api/auth.js';
import type {
  ApiDeps, ClusterService, ControlPayload, RotationListQuery, RotationService, RotationView, StartedRun,
} from '../../api/deps.js';
import { clusterRotationWorkflowId } from '../../common/names.js';
import type { ClusterRotationInput, LkeCluster, RotationStatus } from '../../common/types.js';

export const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  approver: 'approver-token-0123456789abcdef',
  opsApprover: 'ops-approver-token-0123456789abcdef',
} as const;

export const API_TOKENS: ApiToken[] = [
  { name: 'vera', token: TOKENS.viewer, roles: ['viewer'] },
  { name: 'olga', token: TOKENS.operator, roles: ['operator'] },
  { name: 'ana', token: TOKENS.approver, roles: ['approver'] },
  // both roles: may request and approve, but never approve its own request
  { name: 'sam', token: TOKENS.opsApprover, roles: ['operator', 'approver'] },
];

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function statusFor(input: ClusterRotationInput, phase: RotationStatus['phase'] = 'AwaitingApproval'): RotationStatus {
  return {
    clusterId: input.clusterId, label: `cluster-${input.clusterId}`, region: 'us-iad',
    requestedBy: input.requestedBy, fleetRotationId: input.fleetRotationId ?? null, dryRun: input.dryRun ?? false,
    phase, step: phase === 'AwaitingApproval' ? 'approval' : null, paused: false, plan: null,
    progress: { tokensDeleted: 0, tokensTotal: 4, workloadsRestarted: 0, workloadsTotal: 0, nodesRecycled: 0, nodesTotal: 0 },
    pendingGate: null, lastError: null, approvals: [], completedSteps: ['snapshot'], skippedSteps: [], timeline: [],
  };
}

/** Records every call; rotations live in a map keyed by cluster id. */
export class FakeRotations implements RotationService {
  readonly started: ClusterRotationInput[] = [];
  readonly controls: { clusterId: number; payload: ControlPayload }[] = [];
  readonly resumed: { clusterId: number; requestedBy: string }[] = [];
  readonly listed: RotationListQuery[] = [];
  readonly views = new Map<number, RotationView>();
  private runs = 0;

  async start(input: ClusterRotationInput): Promise<StartedRun> {
    const workflowId = clusterRotationWorkflowId(input.clusterId);
    if (this.views.get(input.clusterId)?.execution === 'RUNNING') {
      throw new WorkflowExecutionAlreadyStartedError('already started', workflowId, 'clusterRotation');
    }
    this.started.push(input);
    const runId = `run-${++this.runs}`;
    this.views.set(input.clusterId, { workflowId, runId, execution: 'RUNNING', status: statusFor(input) });
    return { workflowId, runId };
  }

  async get(clusterId: number): Promise<RotationView | null> {
    return this.views.get(clusterId) ?? null;
  }

  async list(query: RotationListQuery) {
    this.listed.push(query);
    return { rotations: [], nextPageToken: null };
  }

  async control(clusterId: number, payload: ControlPayload): Promise<void> {
    const view = this.views.get(clusterId);
    if (payload.update === 'retry' && view?.status?.phase !== 'Blocked') {
      throw new WorkflowUpdateFailedError('Workflow Update failed',
        ApplicationFailure.nonRetryable('retry applies only to a Blocked rotation (phase is AwaitingApproval)', 'InvalidState'));
    }
    this.controls.push({ clusterId, payload });
  }

  async resume(clusterId: number, requestedBy: string): Promise<StartedRun> {
    this.resumed.push({ clusterId, requestedBy });
    const view = this.views.get(clusterId)!;
    const runId = `run-${++this.runs}`;
    this.views.set(clusterId, { ...view, runId, execution: 'RUNNING' });
    return { workflowId: view.workflowId, runId };
  }
}

export const CLUSTER: LkeCluster = {
  id: 101, label: 'prod-a', region: 'us-iad', k8s_version: '1.31', status: 'ready', tier: 'standard',
  tags: ['prod'], control_plane: { high_availability: false }, created: '2025-01-01T00:00:00', updated: '2025-01-01T00:00:00',
};

export class FakeClusters implements ClusterService {
  readonly calls: Parameters<ClusterService['list']>[] = [];
  async list(...args: Parameters<ClusterService['list']>) {
    this.calls.push(args);
    return { data: [CLUSTER], page: args[1].page, pages: 1, results: 1 };
  }
}

export function fakeDeps(overrides: Partial<ApiDeps> = {}): ApiDeps & { rotations: FakeRotations; clusters: FakeClusters } {
  return {
    rotations: new FakeRotations(),
    clusters: new FakeClusters(),
    temporalHealth: async () => true,
    tokens: API_TOKENS,
    webUrl: 'http://127.0.0.1:8233',
    ...overrides,
  } as ApiDeps & { rotations: FakeRotations; clusters: FakeClusters };
}

export type FakeDeps = ReturnType<typeof fakeDeps>;
export interface FakeApp { app: FastifyInstance; deps: FakeDeps }

/** One app for the enclosing describe(): built before its tests, closed after them. */
export function useFakeApp(overrides: Partial<ApiDeps> = {}): FakeApp {
  const fixture = {} as FakeApp;
  before(async () => {
    fixture.deps = fakeDeps(overrides);
    fixture.app = await buildApp(fixture.deps);
  });
  after(() => fixture.app.close());
  return fixture;
}

/** An app for one test, closed however the test ends. */
export async function withFakeApp(
  overrides: Partial<ApiDeps>, use: (fixture: FakeApp) => Promise<void>,
): Promise<void> {
  const deps = fakeDeps(overrides);
  const app = await buildApp(deps);
  try {
    await use({ app, deps });
  } finally {
    await app.close();
  }
}
