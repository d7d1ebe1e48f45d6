// In-memory stand-ins for the API's services, so the HTTP layer (auth, validation, error format,
// the four-eyes rule) is tested on its own. The rotation lifecycle itself is tested against a real
// Temporal dev server in test/api.test.ts.
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { buildApp } from '../../api/app.js';
import type { ApiToken } from '../../api/auth.js';
import type {
  ApiDeps, ClusterService, CreateSchedule, FleetService, FleetView, RotationListQuery, RotationService,
  RotationView, ScheduleService, StartedRun,
} from '../../api/deps.js';
import {
  FleetNotResumableError, RotationNotResumableError, type FleetControl, type FleetStatusView, type RotationControl,
} from '../../client/index.js';
import { clusterRotationWorkflowId, fleetRotationWorkflowId } from '../../common/names.js';
import type { ClusterRotationInput, FleetRotationInput, FleetStatus, LkeCluster, RotationStatus } from '../../common/types.js';

export const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  approver: 'approver-token-0123456789abcdef',
  opsApprover: 'ops-approver-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
} as const;

export const API_TOKENS: ApiToken[] = [
  { name: 'vera', token: TOKENS.viewer, roles: ['viewer'] },
  { name: 'olga', token: TOKENS.operator, roles: ['operator'] },
  { name: 'ana', token: TOKENS.approver, roles: ['approver'] },
  // both roles: may request and approve, but never approve its own request
  { name: 'sam', token: TOKENS.opsApprover, roles: ['operator', 'approver'] },
  // may switch approval gates off (and do all an operator may)
  { name: 'root-admin', token: TOKENS.admin, roles: ['admin'] },
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
  readonly controls: { clusterId: number; control: RotationControl }[] = [];
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

  async control(clusterId: number, control: RotationControl): Promise<void> {
    const view = this.views.get(clusterId);
    if (control.update === 'retry' && view?.status?.phase !== 'Blocked') {
      throw new WorkflowUpdateFailedError('Workflow Update failed',
        ApplicationFailure.nonRetryable('retry applies only to a Blocked rotation (phase is AwaitingApproval)', 'InvalidState'));
    }
    this.controls.push({ clusterId, control });
  }

  /** like resumeRotation: runs that ended Completed or Rejected have nothing to resume */
  async resume(clusterId: number, requestedBy: string): Promise<StartedRun> {
    const view = this.views.get(clusterId)!;
    if (view.execution === 'COMPLETED' && !['Cancelled', 'Failed'].includes(view.status?.phase ?? '')) {
      throw new RotationNotResumableError(`rotation ${view.workflowId} ended ${view.status?.phase}: nothing to resume; start a new rotation`);
    }
    this.resumed.push({ clusterId, requestedBy });
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

export function fleetStatusFor(input: FleetRotationInput): FleetStatusView {
  return {
    fleetRotationId: fleetRotationWorkflowId(input.name), name: input.name, requestedBy: input.requestedBy,
    phase: 'AwaitingApproval', paused: false, halted: false, haltReason: null, aborted: null, error: null,
    concurrency: input.concurrency ?? 5, errorBudget: { allowed: 0, failed: 0, accepted: 0 }, waveCount: 2, currentWave: 0,
    pendingGate: { gate: 'canary', since: '2026-01-01T00:00:00Z', timeoutAt: '2026-01-02T00:00:00Z' }, soakUntil: null,
    counts: { Pending: 1, Running: 0, Completed: 1, Rejected: 0, Cancelled: 0, Failed: 0, Skipped: 0, NotStarted: 0 },
    clusters: [{
      id: 101, label: 'prod-a', region: 'us-iad', k8sVersion: '1.31', wave: 0, phase: 'Completed', rotationPhase: null,
      workflowId: 'rotate-cluster-101', runId: 'r', attached: false, startedAt: null, finishedAt: null, error: null,
    }],
    approvals: [], runs: 1, timeline: [],
  };
}

export class FakeFleets implements FleetService {
  readonly started: FleetRotationInput[] = [];
  readonly controls: { fleet: string; control: FleetControl }[] = [];
  readonly views = new Map<string, FleetView>();

  async start(input: FleetRotationInput): Promise<StartedRun> {
    const workflowId = fleetRotationWorkflowId(input.name);
    if (this.views.get(workflowId)?.execution === 'RUNNING') {
      throw new WorkflowExecutionAlreadyStartedError('already started', workflowId, 'fleetRotation');
    }
    this.started.push(input);
    this.views.set(workflowId, { workflowId, runId: `fleet-run-${this.started.length}`, execution: 'RUNNING', status: fleetStatusFor(input) });
    return { workflowId, runId: `fleet-run-${this.started.length}` };
  }

  async get(nameOrId: string): Promise<FleetView | null> {
    return this.views.get(nameOrId.startsWith('rotate-fleet-') ? nameOrId : fleetRotationWorkflowId(nameOrId)) ?? null;
  }

  async list() {
    return { fleets: [], nextPageToken: null };
  }

  async control(fleet: string, control: FleetControl): Promise<FleetStatus> {
    this.controls.push({ fleet, control });
    return (await this.get(fleet))!.status!;
  }

  readonly resumed: { fleet: string; resumedBy: string }[] = [];

  /** like resumeFleetRotation: only a run that ended without reporting continues */
  async resume(fleet: string, resumedBy: string): Promise<StartedRun> {
    const view = (await this.get(fleet))!;
    if (view.execution !== 'TERMINATED') throw new FleetNotResumableError(`fleet rotation ${view.workflowId} ended ${view.execution} with its report: nothing to resume`);
    this.resumed.push({ fleet, resumedBy });
    const runId = `fleet-run-resumed-${this.resumed.length}`;
    this.views.set(view.workflowId, { ...view, runId, execution: 'RUNNING' });
    return { workflowId: view.workflowId, runId };
  }
}

export class FakeSchedules implements ScheduleService {
  readonly created: CreateSchedule[] = [];
  readonly actions: string[] = [];

  async create(request: CreateSchedule) {
    if (this.created.some((c) => c.scheduleId === request.scheduleId)) {
      throw new ScheduleAlreadyRunning('exists', request.scheduleId);
    }
    this.created.push(request);
    return { scheduleId: request.scheduleId };
  }

  async list() {
    return this.created.map((c) => ({
      scheduleId: c.scheduleId, fleetName: c.fleet.name, paused: c.paused ?? false, note: c.note ?? null, nextRunAt: null, recentRuns: [],
    }));
  }

  private known(id: string): void {
    if (!this.created.some((c) => c.scheduleId === id)) throw new ScheduleNotFoundError('not found', id);
  }

  async pause(id: string) { this.known(id); this.actions.push(`pause ${id}`); }
  async unpause(id: string) { this.known(id); this.actions.push(`unpause ${id}`); }
  async trigger(id: string) { this.known(id); this.actions.push(`trigger ${id}`); }
  async delete(id: string) { this.known(id); this.actions.push(`delete ${id}`); }
}

type FakeServices = { rotations: FakeRotations; clusters: FakeClusters; fleets: FakeFleets; schedules: FakeSchedules };

export function fakeDeps(overrides: Partial<ApiDeps> = {}): ApiDeps & FakeServices {
  return {
    rotations: new FakeRotations(),
    clusters: new FakeClusters(),
    fleets: new FakeFleets(),
    schedules: new FakeSchedules(),
    temporalHealth: async () => true,
    tokens: API_TOKENS,
    webUrl: 'http://127.0.0.1:8233',
    ...overrides,
  } as ApiDeps & FakeServices;
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
