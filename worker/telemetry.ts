// What a worker process exports for Prometheus, from the configuration: the Temporal SDK's own
// metrics (Runtime telemetry, LKE_ROTATOR_SDK_METRICS_PORT) and the product's (worker/metrics.ts,
// LKE_ROTATOR_METRICS_PORT). The SDK's exporter owns its port, hence two. Call before connecting:
// the SDK's runtime is installed once per process.
import { Runtime } from '@temporalio/worker';
import type { Config } from '../config/config.js';
import { createWorkerMetrics, serveMetrics, type WorkerMetrics } from './metrics.js';

export interface WorkerTelemetry {
  /** the product metrics, when they are on: their recorder goes to compose(), their sinks to the worker */
  metrics: WorkerMetrics | null;
  urls: string[];
  close(): Promise<void>;
}

export async function startWorkerTelemetry(config: Pick<Config, 'metrics'>): Promise<WorkerTelemetry> {
  const urls: string[] = [];
  if (config.metrics.sdkPort !== undefined) {
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.metrics.sdkPort}` } } } });
    urls.push(`http://127.0.0.1:${config.metrics.sdkPort}/metrics`);
  }
  if (config.metrics.port === undefined) return { metrics: null, urls, close: async () => undefined };
  const metrics = createWorkerMetrics();
  const served = await serveMetrics(metrics.registry, config.metrics.port);
  urls.push(served.url);
  return {
    metrics,
    urls,
    close: () => new Promise<void>((resolve) => served.server.close(() => resolve())),
  };
}
