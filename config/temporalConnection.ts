// Connections to a Temporal cluster from the configuration (address, TLS or mTLS, API key, gRPC
// headers: config/temporalProfile.ts), and the one-time registration of the rotation search
// attributes on it (the dev server gets them from its start-up flags instead).
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/client';
// The proto package is CommonJS: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { SearchAttributeType, type DataConverter } from '@temporalio/common';
import { ROTATION_SEARCH_ATTRIBUTE_KEYS } from '../common/searchAttributes.js';
import type { TemporalConnectionConfig } from './temporalProfile.js';

export interface TemporalClient {
  connection: Connection;
  client: Client;
}

/** `dataConverter`: the payload codec's (config/payloadCodec.ts), when payloads are encrypted */
export async function connectClient(config: TemporalConnectionConfig, options: { dataConverter?: DataConverter } = {}): Promise<TemporalClient> {
  const connection = await Connection.connect(connectionOptions(config));
  return { connection, client: new Client({ connection, namespace: config.namespace, dataConverter: options.dataConverter }) };
}

/** Workers need the Rust-side connection rather than the client's gRPC one; it takes the same options. */
export function connectWorkerConnection(config: TemporalConnectionConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}

/**
 * What both connections are given. The secrets are revealed here and only here, into the SDK's
 * options, which nothing logs. `tls: false` keeps plaintext explicit (the SDK would otherwise turn
 * TLS on by itself when an API key is set, but our config already decided that).
 */
export interface TemporalConnectionOptions {
  address: string;
  tls: TLSConfig | false;
  apiKey: string | undefined;
  metadata: Record<string, string>;
}

export function connectionOptions(config: TemporalConnectionConfig): TemporalConnectionOptions {
  const { tls } = config;
  return {
    address: config.address,
    tls: tls
      ? {
          serverNameOverride: tls.serverName,
          serverRootCACertificate: pem(tls.serverCaCert),
          clientCertPair: tls.clientCert && tls.clientKey ? { crt: Buffer.from(tls.clientCert), key: Buffer.from(tls.clientKey.reveal()) } : undefined,
        }
      : false,
    apiKey: config.apiKey?.reveal(),
    metadata: Object.fromEntries(Object.entries(config.grpcMetadata).map(([key, value]) => [key, value.reveal()])),
  };
}

function pem(text: string | undefined): Buffer | undefined {
  return text === undefined ? undefined : Buffer.from(text);
}

const ALREADY_EXISTS = 6; // gRPC status codes
const UNIMPLEMENTED = 12;

const { IndexedValueType } = proto.temporal.api.enums.v1;
const INDEXED_TYPES: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

/**
 * Registers the search attributes of docs/design.md, 'Fixed names' on `namespace`; ones that already exist
 * with the right type are fine (also when another worker registers them at the same moment). One
 * that exists with another type is an error: queries on it would silently match nothing.
 * Returns the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const customAttributes = await listCustomSearchAttributes(connection, namespace);
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const { name, type } of ROTATION_SEARCH_ATTRIBUTE_KEYS) {
    const wanted = INDEXED_TYPES[type]!;
    const existing = customAttributes[name];
    if (existing === undefined || existing === null) {
      missing[name] = wanted;
    } else if (existing !== wanted) {
      throw new Error(
        `Search attribute ${name} exists on namespace ${namespace} with type ${IndexedValueType[existing]}, ` +
          `but lke-rotator needs ${type}`,
      );
    }
  }
  const names = Object.keys(missing);
  if (names.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
  }
  return names;
}

/** The time-skipping test server can add search attributes but not list them: there, assume none. */
async function listCustomSearchAttributes(connection: Connection, namespace: string): Promise<Record<string, temporal.api.enums.v1.IndexedValueType>> {
  try {
    return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes;
  } catch (err) {
    if ((err as { code?: number }).code === UNIMPLEMENTED) return {};
    throw err;
  }
}
