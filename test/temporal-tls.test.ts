// A real mTLS connection from the configuration to Temporal, for both connections the product makes
// (the client's and the worker's native one). `temporal server start-dev` has no TLS options, so a
// TLS terminator in front of a plaintext dev server plays the secured frontend: it presents a
// certificate for temporal.test signed by a test CA and admits only clients whose certificate that
// CA signed. gRPC's HTTP/2 is the same on both sides of it, so the SDK sees a TLS Temporal frontend.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { generate } from 'selfsigned';
import { loadConfig } from '../config/config.js';
import { connectClient, connectionOptions, connectWorkerConnection } from '../config/temporalConnection.js';
import { startDevServer } from '../dev/devServer.js';
import type { DevServer } from '../dev/devServer.js';

const SERVER_NAME = 'temporal.test';

interface Pki {
  caPem: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  /** a client certificate from another CA, which the terminator must refuse */
  stranger: { cert: string; key: string };
}

let devServer: DevServer;
let terminator: ReturnType<typeof createTlsServer>;
let terminatorAddress: string;
let dir: string;
let pki: Pki;
/** the common names of the client certificates the terminator admitted */
const admitted: string[] = [];

before(async () => {
  pki = await createPki();
  dir = await mkdtemp(join(tmpdir(), 'lke-rotator-temporal-tls-'));
  await writeFile(join(dir, 'ca.pem'), pki.caPem);
  await writeFile(join(dir, 'client.pem'), pki.client.cert);
  await writeFile(join(dir, 'client.key'), pki.client.key, { mode: 0o600 });
  devServer = await startDevServer();
  const [host, port] = splitHostPort(devServer.address);
  terminator = createTlsServer(
    { cert: pki.server.cert, key: pki.server.key, ca: pki.caPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (tlsSocket: TLSSocket) => {
      admitted.push(String(tlsSocket.getPeerCertificate().subject?.CN));
      const upstream = connectTcp(port, host);
      tlsSocket.pipe(upstream).pipe(tlsSocket);
      const close = () => { tlsSocket.destroy(); upstream.destroy(); };
      tlsSocket.on('error', close);
      upstream.on('error', close);
    },
  );
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  terminatorAddress = `127.0.0.1:${(terminator.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => terminator?.close(resolve));
  await devServer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function mtlsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: terminatorAddress,
    TEMPORAL_NAMESPACE: devServer.namespace,
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
    TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
    ...extra,
  };
}

test('the client and the worker connect over mTLS from TEMPORAL_TLS_* variables', async () => {
  const config = loadConfig(mtlsEnv());
  const { connection, client } = await connectClient(config.temporal);
  try {
    const described = await client.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    assert.equal(described.namespaceInfo?.name, devServer.namespace);
  } finally {
    await connection.close();
  }
  const native = await connectWorkerConnection(config.temporal);
  try {
    const info = await native.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion, 'the worker connection reached the server');
  } finally {
    await native.close();
  }
  assert.ok(admitted.filter((cn) => cn === 'lke-rotator').length >= 2, `admitted: ${admitted.join(', ')}`);
});

test('the same from a profile file, with the PEMs inline', async () => {
  const file = join(dir, 'temporal.toml');
  await writeFile(file, [
    '[profile.secured]',
    `address = "${terminatorAddress}"`,
    `namespace = "${devServer.namespace}"`,
    '[profile.secured.tls]',
    `server_name = "${SERVER_NAME}"`,
    `server_ca_cert_data = """\n${pki.caPem}"""`,
    `client_cert_data = """\n${pki.client.cert}"""`,
    `client_key_data = """\n${pki.client.key}"""`,
    '',
  ].join('\n'), { mode: 0o600 });
  const config = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'secured' });
  const native = await connectWorkerConnection(config.temporal);
  await native.close();
});

test('the connection fails without the client certificate, with a stranger one, or without the CA', async () => {
  const attempts: [string, Record<string, string>][] = [
    ['no client certificate', mtlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' })],
    ['a certificate of another CA', mtlsEnv({
      TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '',
      TEMPORAL_TLS_CLIENT_CERT_DATA: pki.stranger.cert, TEMPORAL_TLS_CLIENT_KEY_DATA: pki.stranger.key,
    })],
    ['the system roots instead of the CA', mtlsEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '' })],
  ];
  for (const [what, env] of attempts) {
    const options = connectionOptions(loadConfig(env).temporal);
    await assert.rejects(
      Connection.connect({ ...options, connectTimeout: '1500ms' }).then((connection) => connection.close()),
      `must fail with ${what}`,
    );
  }
});

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/** EC P-256 keys: RSA generation would dominate the test's start-up. */
async function createPki(): Promise<Pki> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 24 * 60 * 60 * 1000);
  const base = { keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate } as const;
  const caExtensions = [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
  ] as const;
  const ca = await generate([{ name: 'commonName', value: 'lke-rotator-test-ca' }], { ...base, extensions: [...caExtensions] });
  const otherCa = await generate([{ name: 'commonName', value: 'someone-else-ca' }], { ...base, extensions: [...caExtensions] });
  const leaf = (cn: string, signer: { private: string; cert: string }, usage: 'serverAuth' | 'clientAuth', altNames: { type: 2; value: string }[]) =>
    generate([{ name: 'commonName', value: cn }], {
      ...base,
      ca: { key: signer.private, cert: signer.cert },
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', [usage]: true },
        ...(altNames.length ? [{ name: 'subjectAltName' as const, altNames }] : []),
      ],
    });
  const server = await leaf(SERVER_NAME, ca, 'serverAuth', [{ type: 2, value: SERVER_NAME }]);
  const client = await leaf('lke-rotator', ca, 'clientAuth', []);
  const stranger = await leaf('lke-rotator', otherCa, 'clientAuth', []);
  return {
    caPem: ca.cert,
    server: { cert: server.cert, key: server.private },
    client: { cert: client.cert, key: client.private },
    stranger: { cert: stranger.cert, key: stranger.private },
  };
}
