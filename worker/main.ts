// `npm run worker`: the rotation worker, configured by the environment (docs/design.md, 'Fixed names').
// SIGINT/SIGTERM stop it gracefully: the SDK's runtime stops polling and lets running activities
// finish (their heartbeats and retries make an interrupted one safe anyway), then run() returns.
import pino from 'pino';
import { LINODE_TASK_QUEUE, TASK_QUEUE } from '../common/names.js';
import { loadConfig } from '../config/config.js';
import { compose } from '../activities/compose.js';
import { createLiveWorker, exitOnFailure } from './live.js';
import { startWorkerTelemetry } from './telemetry.js';

const log = pino({ name: 'lke-rotator-worker' });

try {
  const config = loadConfig();
  const telemetry = await startWorkerTelemetry(config);
  if (telemetry.urls.length > 0) log.info({ metrics: telemetry.urls }, 'metrics served');
  const live = await createLiveWorker(config, compose(config, { recordCall: telemetry.metrics?.recordCall }),
    { sinks: telemetry.metrics?.sinks, log });
  if (live.addedSearchAttributes.length > 0) log.info({ added: live.addedSearchAttributes }, 'registered search attributes');
  log.info({ address: config.temporal.address, namespace: config.temporal.namespace, taskQueues: [TASK_QUEUE, LINODE_TASK_QUEUE] }, 'worker polling');
  try {
    await live.run();
  } finally {
    await live.close();
    await telemetry.close();
  }
  log.info('worker stopped');
} catch (err) {
  exitOnFailure(log, 'worker', err);
}
