// The service's configuration, read from the environment names of docs/design.md, 'Fixed names', and
// the Temporal connection from the standard Temporal profile and TEMPORAL_* variables
// (temporalProfile.ts). Every bad value fails with a message naming the variable; a token's value is
// never part of a message, and tokens and keys are held in Secrets so that logging the config cannot
// leak them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LINODE_GENERAL_LIMIT } from '../common/lke.js';
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
  /** LINODE_READ_TOKEN(_FILE): what the API reads clusters with (it never writes); default `token` */
  readToken?: Secret;
  /**
   * LKE_ROTATOR_LINODE_BUDGET_SHARE: the part of the account's rate limits this service may use, the
   * rest left to other tools on the token (activities/linode/budget.ts); default 0.5
   */
  budgetShare?: number;
  /**
   * LKE_ROTATOR_LINODE_GENERAL_LIMIT / _WINDOW_MS: the account's general limit, which Linode may
   * raise on request; default its documented 1,600 requests per 120,000 ms
   */
  generalLimit?: { limit: number; windowMs: number };
}

export interface ApiConfig {
  host: string;
  port: number;
  tokensFile: string | undefined;
  /** https when set: the PEM certificate chain and key, read at start */
  tls: { certFile: string; keyFile: string } | undefined;
  /** per caller under /v1; 0 turns the limit off */
  rateLimitPerMinute: number;
  /** each request's Temporal calls end with a 504 after this long */
  temporalDeadlineMs: number;
  /** GET /v1/rotations/:clusterId answers from a read started at most this long before the request */
  statusMaxAgeMs: number;
}

/**
 * Where delivered kubeconfigs go (KUBECONFIG_SINK): files in kubeconfigDir, or one Kubernetes Secret
 * per cluster in a namespace of the management cluster, reached in-cluster or through a kubeconfig file.
 */
export type KubeconfigSinkConfig =
  | { kind: 'directory' }
  | { kind: 'secret'; namespace: string; kubeconfigFile: string | undefined };

export interface Config {
  temporal: TemporalConfig;
  linode: LinodeConfig;
  /** where new kubeconfigs are delivered, one file per cluster (directory sink); the worker's kubeconfig cache lives in its .cache */
  kubeconfigDir: string;
  kubeconfigSink: KubeconfigSinkConfig;
  /** LKE_ROTATOR_CODEC_KEYS_FILE: payloads are encrypted when set (config/payloadCodec.ts) */
  codecKeysFile: string | undefined;
  api: ApiConfig;
  /** the worker's Prometheus endpoints; undefined: off */
  metrics: { port: number | undefined; sdkPort: number | undefined };
  notifications: NotificationsConfig;
  /** the activities' waits (activities/compose.ts, ActivityTuning); unset: their defaults */
  activities: { pollIntervalMs?: number; kubeconfigDelayMs?: number; nodeRecycleDelayMs?: number };
}

/** LKE_ROTATOR_WEBHOOK_URL(_FILE) and LKE_ROTATOR_WEBHOOK_SECRET(_FILE): the URL too is a Secret (Slack's carry a token in the path). */
export interface WebhookConfig {
  url: Secret;
  secret: Secret;
}

export interface NotificationsConfig {
  /** undefined: notifications are off (runs schedule no notify activity) */
  webhook: WebhookConfig | undefined;
  /** LKE_ROTATOR_API_URL: the API's base URL for links in the events */
  apiUrl: string | undefined;
}

export const DEFAULTS = {
  temporalAddress: TEMPORAL_DEFAULTS.address,
  temporalNamespace: TEMPORAL_DEFAULTS.namespace,
  apiHost: '127.0.0.1',
  apiPort: 8080,
  apiRateLimitPerMinute: 600,
  apiTemporalDeadlineMs: 10_000,
  apiStatusMaxAgeMs: 5_000,
  kubeconfigDir: 'kubeconfigs',
} as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    temporal: {
      ...loadTemporalConnection(env),
      webUrl: optionalUrl(env, ENV.temporalWebUrl),
    },
    linode: {
      apiUrl: httpsUnlessLoopback(ENV.linodeApiUrl, optionalUrl(env, ENV.linodeApiUrl)) ?? DEFAULT_LINODE_API_URL,
      token: secretFromEnv(env, ENV.linodeToken, ENV.linodeTokenFile),
      readToken: secretFromEnv(env, ENV.linodeReadToken, ENV.linodeReadTokenFile),
      budgetShare: share(ENV.linodeBudgetShare, value(env, ENV.linodeBudgetShare)),
      generalLimit: generalLimit(env),
    },
    kubeconfigDir: resolve(value(env, ENV.kubeconfigDir) ?? DEFAULTS.kubeconfigDir),
    kubeconfigSink: kubeconfigSink(env),
    codecKeysFile: optionalPath(env, ENV.codecKeysFile),
    notifications: { webhook: webhook(env), apiUrl: optionalUrl(env, ENV.apiUrl) },
    activities: {
      pollIntervalMs: count(ENV.pollIntervalMs, value(env, ENV.pollIntervalMs), 1),
      kubeconfigDelayMs: count(ENV.kubeconfigDelayMs, value(env, ENV.kubeconfigDelayMs), 0),
      nodeRecycleDelayMs: count(ENV.nodeRecycleDelayMs, value(env, ENV.nodeRecycleDelayMs), 0),
    },
    metrics: {
      port: port(ENV.metricsPort, value(env, ENV.metricsPort)),
      sdkPort: port(ENV.sdkMetricsPort, value(env, ENV.sdkMetricsPort)),
    },
    api: {
      host: value(env, ENV.apiHost) ?? DEFAULTS.apiHost,
      port: port(ENV.apiPort, value(env, ENV.apiPort)) ?? DEFAULTS.apiPort,
      tokensFile: optionalPath(env, ENV.apiTokensFile),
      tls: apiTls(env),
      rateLimitPerMinute: count(ENV.apiRateLimitPerMinute, value(env, ENV.apiRateLimitPerMinute), 0) ?? DEFAULTS.apiRateLimitPerMinute,
      temporalDeadlineMs: count(ENV.apiTemporalDeadlineMs, value(env, ENV.apiTemporalDeadlineMs), 100) ?? DEFAULTS.apiTemporalDeadlineMs,
      statusMaxAgeMs: count(ENV.apiStatusMaxAgeMs, value(env, ENV.apiStatusMaxAgeMs), 0) ?? DEFAULTS.apiStatusMaxAgeMs,
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

/** A fraction above 0 and at most 1. */
function share(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!/^(0?\.\d+|1(\.0*)?)$/.test(raw) || !(parsed > 0 && parsed <= 1)) {
    throw new ConfigError(`${name} must be a number above 0 and at most 1 (the part of the account's Linode API limits to use), got "${raw}"`);
  }
  return parsed;
}

/** The account's general Linode limit, when either part is set (the other keeps Linode's documented value). */
function generalLimit(env: NodeJS.ProcessEnv): LinodeConfig['generalLimit'] {
  const limit = count(ENV.linodeGeneralLimit, value(env, ENV.linodeGeneralLimit), 1);
  const windowMs = count(ENV.linodeGeneralWindowMs, value(env, ENV.linodeGeneralWindowMs), 1_000);
  if (limit === undefined && windowMs === undefined) return undefined;
  return { limit: limit ?? LINODE_GENERAL_LIMIT.limit, windowMs: windowMs ?? LINODE_GENERAL_LIMIT.windowMs };
}

/** A whole number of at least `min`. */
function count(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(parsed) || parsed < min) {
    throw new ConfigError(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  }
  return parsed;
}

function apiTls(env: NodeJS.ProcessEnv): ApiConfig['tls'] {
  const certFile = optionalPath(env, ENV.apiTlsCertFile);
  const keyFile = optionalPath(env, ENV.apiTlsKeyFile);
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new ConfigError(`Set both ${ENV.apiTlsCertFile} and ${ENV.apiTlsKeyFile}, or neither`);
  return { certFile, keyFile };
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

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
function isLoopback(hostname: string): boolean {
  // URL has already normalised the host: "127.1" reads 127.0.0.1, IPv6 keeps its brackets
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The Linode token and every kubeconfig travel over this URL: plain http is allowed only to a local
 * simulator or proxy on the loopback interface.
 */
function httpsUnlessLoopback(name: string, url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'https:' && !isLoopback(hostname)) {
    throw new ConfigError(`${name} must be an https URL (plain http only on loopback: 127.0.0.0/8, ::1, localhost), got "${url}"`);
  }
  return url;
}

function optionalPath(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = value(env, name);
  return raw === undefined ? undefined : resolve(raw);
}

function kubeconfigSink(env: NodeJS.ProcessEnv): KubeconfigSinkConfig {
  const kind = value(env, ENV.kubeconfigSink) ?? 'directory';
  if (kind === 'directory') return { kind };
  if (kind !== 'secret') throw new ConfigError(`${ENV.kubeconfigSink} must be "directory" or "secret", got "${kind}"`);
  const namespace = value(env, ENV.kubeconfigSecretNamespace);
  if (!namespace || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new ConfigError(`${ENV.kubeconfigSink}=secret needs ${ENV.kubeconfigSecretNamespace}, a namespace name, got "${namespace ?? ''}"`);
  }
  return { kind, namespace, kubeconfigFile: optionalPath(env, ENV.kubeconfigSinkKubeconfig) };
}

/** A credential set directly or in a file (`<NAME>_FILE`, preferred: it stays out of the process's environment). */
function secretFromEnv(env: NodeJS.ProcessEnv, directName: string, fileName: string, what = 'the token'): Secret | undefined {
  const direct = value(env, directName);
  const file = value(env, fileName);
  if (direct && file) {
    throw new ConfigError(`Set only one of ${directName} and ${fileName}`);
  }
  if (direct) return new Secret(direct);
  if (!file) return undefined;
  let content: string;
  try {
    content = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${fileName} (${file}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!content) throw new ConfigError(`${fileName} (${file}) is empty`);
  if (/\s/.test(content)) throw new ConfigError(`${fileName} (${file}) must hold only ${what}`);
  return new Secret(content);
}

/**
 * Both or neither. The URL is checked without ever being echoed: https, or plain http on loopback
 * only (the events are signed, not encrypted).
 */
function webhook(env: NodeJS.ProcessEnv): WebhookConfig | undefined {
  const url = secretFromEnv(env, ENV.webhookUrl, ENV.webhookUrlFile, 'the URL');
  const secret = secretFromEnv(env, ENV.webhookSecret, ENV.webhookSecretFile, 'the secret');
  if (!url && !secret) return undefined;
  if (!url || !secret) {
    throw new ConfigError(`Set both ${ENV.webhookUrl} (or ${ENV.webhookUrlFile}) and ${ENV.webhookSecret} (or ${ENV.webhookSecretFile}), or neither`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url.reveal());
  } catch {
    throw new ConfigError(`${ENV.webhookUrl} is not a URL (its value is not shown: it may hold a token)`);
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(parsed.hostname))) {
    throw new ConfigError(`${ENV.webhookUrl} must be an https URL (plain http only on loopback: 127.0.0.0/8, ::1, localhost)`);
  }
  if (secret.reveal().length < 16) throw new ConfigError(`${ENV.webhookSecret} must be at least 16 characters`);
  return { url, secret };
}
