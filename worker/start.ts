// `npm start`: the worker and the HTTP API in one process, configured by the environment
// (docs/design.md, 'Fixed names'). The API starts first so a bad API_TOKENS_FILE fails before a worker
// polls. SIGINT/SIGTERM stop the worker gracefully (the SDK's runtime drains it), then the API
// closes (in-flight requests finish), then the connections. Both run on one composition of the
// adapters (activities/compose.ts), so the process holds one Linode port.
import pino from 'pino';
import { compose } from '../activities/compose.js';
import { startApiServer } from '../api/server.js';
import { TASK_QUEUE } from '../common/names.js';
import { connectClient } from '../config/temporalConnection.js';
import { loadConfig } from '../config/config.js';
import { payloadDataConverter } from '../config/payloadCodec.js';
import { createLiveWorker, exitOnFailure } from './live.js';
import { startWorkerTelemetry } from './telemetry.js';

const log = pino({ name: 'lke-rotator' });

try {
  const config = loadConfig();
  const telemetry = await startWorkerTelemetry(config);
  const composition = compose(config, { recordCall: telemetry.metrics?.recordCall });
  const { connection, client } = await connectClient(config.temporal, { dataConverter: payloadDataConverter(config.codecKeysFile) });
  try {
    const api = await startApiServer({ config, composition, client, logger: log.child({ component: 'api' }) });
    try {
      const live = await createLiveWorker(config, composition, { sinks: telemetry.metrics?.sinks, log });
      log.info({ api: api.url, docs: `${api.url}/docs`, temporal: config.temporal.address, namespace: config.temporal.namespace, taskQueue: TASK_QUEUE }, 'worker and API running');
      try {
        await live.run();
      } finally {
        await live.close();
      }
    } finally {
      await api.close();
    }
  } finally {
    await connection.close();
    await telemetry.close();
  }
  log.info('stopped');
} catch (err) {
  exitOnFailure(log, 'lke-rotator', err);
}
