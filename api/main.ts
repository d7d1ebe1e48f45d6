// `npm run api`: the HTTP API, configured by the environment (docs/design.md, 'Fixed names'). It listens on
// 127.0.0.1 unless API_HOST says otherwise; SIGINT/SIGTERM close it (in-flight requests finish).
import { compose } from '../activities/compose.js';
import { connectClient } from '../config/temporalConnection.js';
import { loadConfig } from '../config/config.js';
import { payloadDataConverter } from '../config/payloadCodec.js';
import { createApiLogger } from './logging.js';
import { startApiServer } from './server.js';

const log = createApiLogger();

try {
  const config = loadConfig();
  const { connection, client } = await connectClient(config.temporal, { dataConverter: payloadDataConverter(config.codecKeysFile) });
  try {
    const api = await startApiServer({ config, composition: compose(config), client, logger: log });
    log.info({ url: api.url, docs: `${api.url}/docs`, temporal: config.temporal.address }, 'API listening');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await api.close();
    log.info('API stopped');
  } finally {
    await connection.close();
  }
} catch (err) {
  // The message only: configuration errors are written to name variables, never their secret values.
  log.error({ err: { message: (err as Error).message, name: (err as Error).name } }, 'API failed');
  process.exitCode = 1;
}
