// The service's configuration, read from the environment names of ROTATION.md section 5, and the
// Temporal connection from the standard Temporal profile and TEMPORAL_* variables (temporalProfile.ts).
// Every bad value fails with a message naming the variable; a token's value is never part of a
// message, and tokens and keys are held in Secrets so that logging the config cannot leak them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_LINODE_API_URL, ENV } from '../common/names.js';
import { ConfigError, Secret } from './secret.js';
import { loadTemporalConnection, TEMPORAL_DEFAULTS } from './temporalProfile.js';
import type { TemporalConnectionConfig } from './temporalProfile.js';

export { ConfigError, Secret };
export type { TemporalConnectionConfig, TemporalTlsConfig } from './temporalProfile.js';

export interface TemporalConfig extends TemporalConnectionConfig {
  /** where Temporal Web shows this namespace, for links in API responses and logs */
  webUrl: string | undefined;
}

export interface LinodeConfig {
  apiUrl: string;
  /** undefined when neither LINODE_TOKEN nor LINODE_TOKEN_FILE is set: see requireLinodeToken */
  token: Secret | undefined;
}

export interface ApiConfig {
  host: string;
  port: number;
  tokensFile: string | undefined;
}

export interface Config {
  temporal: TemporalConfig;
  linode: LinodeConfig;
  /** where new kubeconfigs are delivered, one file per cluster */
  kubeconfigDir: string;
  api: ApiConfig;
}

export const DEFAULTS = {
  temporalAddress: TEMPORAL_DEFAULTS.address,
  temporalNamespace: TEMPORAL_DEFAULTS.namespace,
  apiHost: '127.0.0.1',
  apiPort: 8080,
  kubeconfigDir: 'kubeconfigs',
} as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    temporal: {
      ...loadTemporalConnection(env),
      webUrl: optionalUrl(env, ENV.temporalWebUrl),
    },
    linode: {
      apiUrl: optionalUrl(env, ENV.linodeApiUrl) ?? DEFAULT_LINODE_API_URL,
      token: linodeToken(env),
    },
    kubeconfigDir: resolve(value(env, ENV.kubeconfigDir) ?? DEFAULTS.kubeconfigDir),
    api: {
      host: value(env, ENV.apiHost) ?? DEFAULTS.apiHost,
      port: port(ENV.apiPort, value(env, ENV.apiPort)) ?? DEFAULTS.apiPort,
      tokensFile: optionalPath(env, ENV.apiTokensFile),
    },
  };
}

/** The Linode token, or a ConfigError saying how to provide one. */
export function requireLinodeToken(config: Pick<Config, 'linode'>): Secret {
  if (!config.linode.token) {
    throw new ConfigError(`No Linode API token: set ${ENV.linodeToken}, or ${ENV.linodeTokenFile} to a file that holds it`);
  }
  return config.linode.token;
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function port(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!/^\d+$/.test(raw) || parsed > 65_535) {
    throw new ConfigError(`${name} must be a port number from 0 to 65535, got "${raw}"`);
  }
  return parsed;
}

function optionalUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs; say so without echoing them.
    throw new ConfigError(`${name} must not carry credentials in the URL`);
  }
  return raw.replace(/\/+$/, '');
}

function optionalPath(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = value(env, name);
  return raw === undefined ? undefined : resolve(raw);
}

function linodeToken(env: NodeJS.ProcessEnv): Secret | undefined {
  const direct = value(env, ENV.linodeToken);
  const file = value(env, ENV.linodeTokenFile);
  if (direct && file) {
    throw new ConfigError(`Set only one of ${ENV.linodeToken} and ${ENV.linodeTokenFile}`);
  }
  if (direct) return new Secret(direct);
  if (!file) return undefined;
  let content: string;
  try {
    content = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${ENV.linodeTokenFile} (${file}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!content) throw new ConfigError(`${ENV.linodeTokenFile} (${file}) is empty`);
  if (/\s/.test(content)) throw new ConfigError(`${ENV.linodeTokenFile} (${file}) must hold only the token`);
  return new Secret(content);
}
