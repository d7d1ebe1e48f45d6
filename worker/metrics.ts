// The worker's own Prometheus metrics (prom-client), beside the Temporal SDK's (worker/main.ts turns
// those on through Runtime telemetry): what the rotations do, from the workflow's phase changes (the
// rotationMetrics sink, workflows/metricsSink.ts), and the calls the activities make to Linode and
// the clusters (activities/callMetrics.ts). Names: README, "Metrics".
import { createServer, type Server } from 'node:http';
import type { InjectedSinks } from '@temporalio/worker';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TERMINAL_PHASES } from '../common/names.js';
import type { CallRecorder } from '../activities/callMetrics.js';
import type { RotationMetricsSinks } from '../workflows/metricsSink.js';

const GATE_PHASES: Record<string, string> = { AwaitingApproval: 'beforeDelete', AwaitingRecycleApproval: 'beforeRecycle' };

export interface WorkerMetrics {
  registry: Registry;
  sinks: InjectedSinks<RotationMetricsSinks>;
  recordCall: CallRecorder;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lke_rotator_worker_' });
  const started = new Counter({ name: 'lke_rotator_rotations_started_total', help: 'Rotation runs started (a resumed run counts again)', registers: [registry] });
  const ended = new Counter({ name: 'lke_rotator_rotations_ended_total', help: 'Rotations ended, by final phase', labelNames: ['phase'], registers: [registry] });
  const blocked = new Gauge({ name: 'lke_rotator_rotations_blocked', help: 'Rotations Blocked now (waiting for a human to retry, skip or abort)', registers: [registry] });
  const phaseSeconds = new Histogram({
    name: 'lke_rotator_phase_duration_seconds', help: 'Time a rotation spent in each phase (its steps)', labelNames: ['phase'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 180, 600, 1800, 3600], registers: [registry],
  });
  const gateWait = new Histogram({
    name: 'lke_rotator_gate_wait_seconds', help: 'Time a rotation waited at an approval gate', labelNames: ['gate'],
    buckets: [1, 10, 60, 300, 900, 3600, 14_400, 86_400], registers: [registry],
  });
  const verifyFailures = new Counter({ name: 'lke_rotator_verify_failures_total', help: 'Rotations Blocked at verify', registers: [registry] });
  const calls = new Counter({
    name: 'lke_rotator_api_calls_total', help: 'Calls to the Linode API and the clusters\' Kubernetes APIs, by endpoint and outcome (ok, rate_limited, error)',
    labelNames: ['api', 'endpoint', 'outcome'], registers: [registry],
  });

  const blockedRuns = new Set<string>();
  const enteredAt = new Map<string, number>();

  const sinks: InjectedSinks<RotationMetricsSinks> = {
    rotationMetrics: {
      phaseChanged: {
        fn(info, { from, to, step }) {
          const run = `${info.workflowId}/${info.runId}`;
          const now = Date.now();
          const since = enteredAt.get(run);
          if (from === null) started.inc();
          if (from !== null && since !== undefined) {
            phaseSeconds.observe({ phase: from }, (now - since) / 1000);
            if (GATE_PHASES[from]) gateWait.observe({ gate: GATE_PHASES[from] }, (now - since) / 1000);
          }
          if (to === 'Blocked') {
            blockedRuns.add(run);
            if (step === 'verify') verifyFailures.inc();
          } else {
            blockedRuns.delete(run);
          }
          blocked.set(blockedRuns.size);
          if (TERMINAL_PHASES.includes(to)) {
            ended.inc({ phase: to });
            enteredAt.delete(run);
          } else {
            enteredAt.set(run, now);
          }
        },
        callDuringReplay: false,
      },
    },
  };
  return { registry, sinks, recordCall: (api, endpoint, outcome) => calls.inc({ api, endpoint, outcome }) };
}

/** GET /metrics on its own port, as Prometheus scrapes it. */
export async function serveMetrics(registry: Registry, port: number, host = '0.0.0.0'): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}/metrics` };
}
