// The simulator's own certificate authority and the server certificate its HTTPS listener presents.
// Real LKE serves https://<uuid>.<region>-<n>-gw.linodelke.net:443 with a per-cluster CA; the simulator
// can serve neither that hostname nor a CA per cluster, so one CA signs one certificate for
// 127.0.0.1/localhost and every simulated kubeconfig carries that CA.
// EC P-256 keys, generated once per process: RSA generation would dominate test start-up.
import { generate } from 'selfsigned';

export interface SimulatorTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

let cached: Promise<SimulatorTls> | undefined;

export function simulatorTls(): Promise<SimulatorTls> {
  cached ??= createTls().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function createTls(): Promise<SimulatorTls> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'lke-simulator-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { caPem: ca.cert, certPem: server.cert, keyPem: server.private };
}

let loadedCaPem: string | undefined;
void simulatorTls().then((tls) => { loadedCaPem = tls.caPem; }, () => undefined);

/**
 * The CA as it appears in a token Secret's `data.ca.crt`. Clusters are seeded synchronously while
 * the CA is generated asynchronously, so Secrets hold this one shared value, rendered on serialisation
 * (the HTTPS listener only answers once the CA exists).
 */
export const CLUSTER_CA_CRT = {
  toJSON(): string {
    return Buffer.from(loadedCaPem ?? '').toString('base64');
  },
};
