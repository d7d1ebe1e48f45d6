// How to reach Temporal, the way every Temporal tool reads it: a profile of the standard config file
// (TEMPORAL_CONFIG_FILE, else temporalio/temporal.toml in the user's config directory; profile
// TEMPORAL_PROFILE, else "default"), overridden by the TEMPORAL_* variables (address, namespace, API
// key, TLS, gRPC metadata). @temporalio/envconfig reads and merges them; this file turns its result
// into our TemporalConfig, where the API key, the client key and the gRPC metadata are Secrets, and
// its failures into ConfigErrors that never quote the file (a TOML error excerpt could hold a key).
import { existsSync } from 'node:fs';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { ClientConfigProfile } from '@temporalio/envconfig';
import { ConfigError, Secret } from './secret.js';

export interface TemporalTlsConfig {
  /** the name the server certificate must carry, when it is not the address's host */
  serverName: string | undefined;
  /** PEM of the CA that signed the server certificate; undefined trusts the system's roots */
  serverCaCert: string | undefined;
  /** mTLS: PEM of the client certificate and its key */
  clientCert: string | undefined;
  clientKey: Secret | undefined;
}

export interface TemporalConnectionConfig {
  /** host:port of the frontend */
  address: string;
  namespace: string;
  /** undefined: plaintext. TLS is on when the profile or TEMPORAL_TLS says so, or when an API key is set. */
  tls: TemporalTlsConfig | undefined;
  apiKey: Secret | undefined;
  /** extra gRPC headers (TEMPORAL_GRPC_META_*); values may be credentials */
  grpcMetadata: Record<string, Secret>;
}

export const TEMPORAL_DEFAULTS = { address: '127.0.0.1:7233', namespace: 'default' } as const;

const PROFILE_VARIABLES = [
  'TEMPORAL_CONFIG_FILE', 'TEMPORAL_PROFILE', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'TEMPORAL_TLS_SERVER_NAME',
  // where the default config file is
  'XDG_CONFIG_HOME', 'HOME', 'APPDATA',
] as const;
const GRPC_META_PREFIX = 'TEMPORAL_GRPC_META_';

export function loadTemporalConnection(env: NodeJS.ProcessEnv): TemporalConnectionConfig {
  const vars = profileVariables(env);
  const profileName = vars.TEMPORAL_PROFILE;
  const configFile = vars.TEMPORAL_CONFIG_FILE;
  // envconfig treats a missing file as no file, right for the default path but not for a named one
  if (configFile && !existsSync(configFile)) throw new ConfigError(`TEMPORAL_CONFIG_FILE (${configFile}) does not exist`);
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    throw new ConfigError(`Temporal connection profile${profileName ? ` "${profileName}"` : ''}: ${describeLoadError(err, vars)}`);
  }
  let options: ReturnType<typeof toClientOptions>;
  try {
    // reads the certificate and key files the profile names
    options = toClientOptions(profile);
  } catch (err) {
    throw new ConfigError(`Temporal TLS: ${describeLoadError(err, vars)}`);
  }
  const { address, apiKey, tls } = options.connectionOptions;
  return {
    address: hostPort(address ?? TEMPORAL_DEFAULTS.address, vars.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : 'the Temporal profile\'s address'),
    namespace: options.namespace || TEMPORAL_DEFAULTS.namespace,
    tls: tlsConfig(tls, profile),
    apiKey: typeof apiKey === 'string' && apiKey ? new Secret(apiKey) : undefined,
    grpcMetadata: Object.fromEntries(Object.entries(profile.grpcMeta ?? {}).map(([key, value]) => [key, new Secret(value)])),
  };
}

/** The TEMPORAL_* variables envconfig reads; empty ones count as unset, as every other variable here. */
function profileVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of PROFILE_VARIABLES) {
    const raw = env[name];
    // PEM data is passed on as given; names, paths and flags are trimmed
    if (raw?.trim()) vars[name] = name.endsWith('_DATA') ? raw : raw.trim();
  }
  // an empty TEMPORAL_GRPC_META_X removes header X from the profile, so empty ones stay
  for (const [name, raw] of Object.entries(env)) if (name.startsWith(GRPC_META_PREFIX) && raw !== undefined) vars[name] = raw;
  return vars;
}

function tlsConfig(tls: unknown, profile: ClientConfigProfile): TemporalTlsConfig | undefined {
  if (tls === undefined || tls === false || tls === null) return undefined;
  const { clientCert, clientKey } = profile.tls ?? {};
  if (Boolean(clientCert) !== Boolean(clientKey)) {
    // envconfig would silently drop a lone half of the pair, and the server would then refuse the client
    throw new ConfigError('Temporal mTLS needs both a client certificate and its key (TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*, or client_cert_* and client_key_* in the profile)');
  }
  if (tls === true) return { serverName: undefined, serverCaCert: undefined, clientCert: undefined, clientKey: undefined };
  const { serverNameOverride, serverRootCACertificate, clientCertPair } = tls as {
    serverNameOverride?: string; serverRootCACertificate?: Uint8Array; clientCertPair?: { crt: Uint8Array; key: Uint8Array };
  };
  return {
    serverName: serverNameOverride || undefined,
    serverCaCert: text(serverRootCACertificate),
    clientCert: text(clientCertPair?.crt),
    clientKey: clientCertPair ? new Secret(text(clientCertPair.key)!) : undefined,
  };
}

function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
}

function hostPort(raw: string, source: string): string {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(raw);
  if (!match || Number(match[2]) > 65_535) {
    throw new ConfigError(`${source} must be host:port (e.g. 127.0.0.1:7233), got "${raw}"`);
  }
  return raw;
}

/** File errors name the file and the errno; parse errors give the position only, never the text. */
function describeLoadError(err: unknown, vars: Record<string, string>): string {
  const { code, path, line, column } = err as { code?: string; path?: string; line?: number; column?: number };
  if (code && path) return `${path} cannot be read: ${code}`;
  if (typeof line === 'number') {
    return `the config file ${vars.TEMPORAL_CONFIG_FILE ?? '(temporalio/temporal.toml in the user config directory)'} is not valid TOML (line ${line}, column ${column ?? '?'})`;
  }
  const message = (err as Error).message ?? String(err);
  // envconfig's own messages ("Profile 'x' not found in config data") hold no file content
  return /^Profile '.*' not found/.test(message) ? message : 'cannot be loaded';
}
