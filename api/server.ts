// Serves the API from the configuration over an existing Temporal client: used by `npm run api`
// (api/main.ts) and by anything that runs the API in-process (the demo).
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Composition } from '../activities/compose.js';
import { ENV, LINODE_TASK_QUEUE } from '../common/names.js';
import { ConfigError, type Config } from '../config/config.js';
import { buildApp } from './app.js';
import { loadApiTokens, type ApiToken } from './auth.js';
import type { ClusterService } from './deps.js';
import { ApiError } from './errors.js';
import { createApiLogger } from './logging.js';
import {
  createClusterService, createFleetService, createRotationService, createScheduleService, temporalHealthCheck,
} from './services.js';

export interface RunningApi {
  app: FastifyInstance;
  /** http(s)://host:port */
  url: string;
  close(): Promise<void>;
}

export interface StartApiOptions {
  config: Config;
  /** the process's adapters (activities/compose.ts): the API uses its Linode port, the worker shares it */
  composition: Pick<Composition, 'linode' | 'readLinode'>;
  client: Client;
  /** default: read from API_TOKENS_FILE */
  tokens?: readonly ApiToken[];
  logger?: Logger;
  /** default: the configured API_PORT (0 picks a free port) */
  port?: number;
}

const noLinodeToken: ClusterService = {
  list: async () => {
    throw new ApiError('unavailable', `the API has no Linode token (set ${ENV.linodeToken} or ${ENV.linodeTokenFile})`);
  },
};

export async function startApiServer(options: StartApiOptions): Promise<RunningApi> {
  const { config, client } = options;
  const tokens = options.tokens ?? await tokensFromConfig(config);
  const logger = options.logger ?? createApiLogger();
  // the API only reads clusters: the read-only token's port when one is configured
  const linode = options.composition.readLinode ?? options.composition.linode ?? undefined;
  if (!linode) logger.warn(`no Linode token: GET /v1/clusters answers 503 and starts skip the cluster check`);

  const deadlineMs = config.api.temporalDeadlineMs;
  // runs started here notify when this process has the webhook configured (the worker delivers)
  const notify = config.notifications.webhook !== undefined;
  // the workers of this release poll it beside lke-rotation (worker/live.ts)
  const linodeTaskQueue = LINODE_TASK_QUEUE;
  const app = await buildApp({
    rotations: createRotationService(client, { linode, deadlineMs, notify, linodeTaskQueue }),
    fleets: createFleetService(client, { deadlineMs, notify, linodeTaskQueue }),
    schedules: createScheduleService(client, { deadlineMs, notify, linodeTaskQueue }),
    clusters: linode ? createClusterService(linode) : noLinodeToken,
    temporalHealth: temporalHealthCheck(client),
    tokens,
    webUrl: config.temporal.webUrl,
    // the codec server decodes with exactly what the client encodes with
    codecs: client.options.loadedDataConverter.payloadCodecs,
    namespace: config.temporal.namespace,
    logger,
    rateLimitPerMinute: config.api.rateLimitPerMinute,
    statusMaxAgeMs: config.api.statusMaxAgeMs,
    ...(config.api.tls ? { https: await readTls(config.api.tls) } : {}),
  });
  const url = await app.listen({ host: config.api.host, port: options.port ?? config.api.port });
  return { app, url, close: () => app.close() };
}

async function readTls({ certFile, keyFile }: { certFile: string; keyFile: string }) {
  const read = async (name: string, path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new ConfigError(`${name} (${path}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  return { cert: await read(ENV.apiTlsCertFile, certFile), key: await read(ENV.apiTlsKeyFile, keyFile) };
}

async function tokensFromConfig(config: Config): Promise<ApiToken[]> {
  if (!config.api.tokensFile) {
    throw new ConfigError(`${ENV.apiTokensFile} is required: a JSON array of {name, token or tokenSha256, roles}`);
  }
  return loadApiTokens(config.api.tokensFile);
}
