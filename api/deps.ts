// The narrow interfaces the routes depend on. api/services.ts implements them over a Temporal
// client and the Linode API; tests pass fakes to check the HTTP layer on its own.
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyBaseLogger } from 'fastify';
import type {
  FleetControl, FleetListPage, FleetScheduleSummary, FleetView, PageRequest, RotationControl, RotationListPage,
  RotationListQuery, RotationView, StartedRun,
} from '../client/index.js';
import type { ClusterRotationInput, FleetRotationInput, FleetStatus, LinodePage, LkeCluster } from '../common/types.js';
import type { ApiToken } from './auth.js';

// The views the routes answer with are the client's own (client/views.ts).
export type {
  ExecutionStatusName, FleetListPage, FleetSummary, FleetView, RotationListPage, RotationListQuery, RotationSummary,
  RotationView, StartedRun,
} from '../client/index.js';

export interface RotationService {
  /** throws WorkflowExecutionAlreadyStartedError when the cluster already has a rotation running */
  start(input: ClusterRotationInput): Promise<StartedRun>;
  /** the latest run of the cluster's rotation, or null when there never was one */
  get(clusterId: number): Promise<RotationView | null>;
  list(query: RotationListQuery): Promise<RotationListPage>;
  /** sends the Update; a refusal surfaces as WorkflowUpdateFailedError (mapped to 409) */
  control(clusterId: number, control: RotationControl): Promise<void>;
  /** continues a run that ended unfinished in a new run */
  resume(clusterId: number, resumedBy: string): Promise<StartedRun>;
}

export interface ClusterFilter {
  tag?: string;
  region?: string;
  label?: string;
}

export interface ClusterService {
  list(filter: ClusterFilter, page: { page: number; pageSize: number }): Promise<LinodePage<LkeCluster>>;
}

export interface FleetService {
  /** throws WorkflowExecutionAlreadyStartedError when a fleet of that name is running */
  start(input: FleetRotationInput): Promise<StartedRun>;
  /** by name or workflow id; null when there is no such fleet rotation */
  get(nameOrId: string): Promise<FleetView | null>;
  list(query: PageRequest): Promise<FleetListPage>;
  /** a refusal surfaces as WorkflowUpdateFailedError (409) */
  control(nameOrId: string, control: FleetControl): Promise<FleetStatus>;
  /** continues a fleet whose run ended without reporting (terminated, timed out) in a new run */
  resume(nameOrId: string, resumedBy: string): Promise<StartedRun>;
}

/** When a schedule fires: an interval such as "30 days", or cron expressions. */
export type ScheduleTiming = { every: string } | { cron: string };

export interface CreateSchedule {
  scheduleId: string;
  fleet: FleetRotationInput;
  timing: ScheduleTiming;
  paused?: boolean;
  note?: string;
}

export interface ScheduleService {
  /** throws ScheduleAlreadyRunning (409) when the id is taken */
  create(request: CreateSchedule): Promise<{ scheduleId: string }>;
  list(): Promise<FleetScheduleSummary[]>;
  /** these throw ScheduleNotFoundError (404) for an unknown id */
  pause(scheduleId: string, note?: string): Promise<void>;
  unpause(scheduleId: string, note?: string): Promise<void>;
  trigger(scheduleId: string): Promise<void>;
  delete(scheduleId: string): Promise<void>;
}

export interface ApiDeps {
  rotations: RotationService;
  /** /v1/fleet-rotations; absent: those routes are not served */
  fleets?: FleetService;
  /** /v1/schedules; absent: those routes are not served */
  schedules?: ScheduleService;
  clusters: ClusterService;
  /** true when the Temporal frontend answers */
  temporalHealth(): Promise<boolean>;
  tokens: readonly ApiToken[];
  /** Temporal Web's base URL (TEMPORAL_WEB_URL); links are omitted without it */
  webUrl?: string;
  /** Temporal namespace, for Temporal Web links; default "default" */
  namespace?: string;
  /** the Temporal client's payload codecs; when there are any, /codec/decode and /codec/encode serve them */
  codecs?: readonly PayloadCodec[];
  /** a pino logger; api/logging.ts makes one that redacts secrets. Default: silent. */
  logger?: FastifyBaseLogger;
  /** request body limit in bytes; default 64 KiB */
  bodyLimit?: number;
  /** GET /v1/rotations/:clusterId serves one read per cluster to every caller for this long; default 5000, 0: off */
  statusMaxAgeMs?: number;
  /** requests per minute per caller under /v1; absent or 0: no limit */
  rateLimitPerMinute?: number;
  /** serve https with this PEM certificate chain and key */
  https?: { cert: string | Buffer; key: string | Buffer };
}
