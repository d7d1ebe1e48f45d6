// Shared by the sim-linode-*.test.ts files: the simulator's Linode API through the real client,
// @linode/api-v4, whose absolute https://api.linode.com/v4[beta] URLs are rewritten to the simulator
// here (the production adapter is the activities' business). The Kubernetes side is a recording
// stand-in, so the tests pin what the Linode side asks of it.
// The client keeps its token and base URL global, so each test file points it at one simulator at a
// time through useSimulator and useToken (ES module importers cannot assign an imported `let`).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import * as linodeApi from '@linode/api-v4';
import type { InternalAxiosRequestConfig } from 'axios';
import type { LinodePage, LkeCluster, LkePool } from '../../common/types.js';
import { AuditLog } from '../../sim/audit.js';
import { SimClock } from '../../sim/clock.js';
import { FaultInjector, seededRandom } from '../../sim/faults.js';
import { generateFleet, type KubeSeedInput } from '../../sim/fleet.js';
import type { RateLimitOverrides } from '../../sim/linode/rateLimit.js';
import { startLinodeServer, type LinodeServer } from '../../sim/linode/server.js';
import { DEFAULT_DELAYS, SimState, type KubeClusterHandle } from '../../sim/state.js';

export const TOKEN = 'a'.repeat(64);
export const READ_ONLY_TOKEN = 'b'.repeat(64);
export const KUBE = { baseUrl: 'https://127.0.0.1:9/k8s/clusters', caPem: '-----BEGIN CERTIFICATE-----\nSTANDIN\n-----END CERTIFICATE-----\n' };
// 0.001: LKE's 2-minute kubeconfig wait takes 120 ms, a 90 s node replacement 90 ms.
export const TIME_SCALE = 0.001;

/** Records what the Linode side does to a cluster's Kubernetes objects. */
export class StandInKube implements KubeClusterHandle {
  readonly nodes = new Map<string, { providerID: string; ready: boolean }>();
  regenerations = 0;

  constructor(seed: KubeSeedInput) {
    for (const node of seed.nodes) this.nodes.set(node.name, { providerID: node.providerID, ready: true });
  }

  adminToken(): string { return `admin-token-${this.regenerations}`; }
  regenerateServiceTokens(): void { this.regenerations++; }
  addNode(node: { name: string; providerID: string }, ready: boolean): void { this.nodes.set(node.name, { providerID: node.providerID, ready }); }
  removeNode(name: string): void { this.nodes.delete(name); }
  setNodeReady(name: string, ready: boolean): void {
    const node = this.nodes.get(name);
    if (node) node.ready = ready;
  }
  nodeNames(): string[] { return [...this.nodes.keys()]; }
}

export interface Harness {
  server: LinodeServer;
  state: SimState<StandInKube>;
  faults: FaultInjector;
  audit: AuditLog;
  kube(id: number): StandInKube;
}

/** `rateLimit` as the simulator's: Linode's documented limits unless `false`, some numbers overridden by an object */
export async function startHarness(options: { clusters: number; seed?: number; rateLimit?: RateLimitOverrides | false }): Promise<Harness> {
  const clock = new SimClock(TIME_SCALE);
  const state = new SimState<StandInKube>(clock, DEFAULT_DELAYS, seededRandom(99));
  generateFleet(state, { clusters: options.clusters, seed: options.seed ?? 7 }, (seed) => new StandInKube(seed));
  const faults = new FaultInjector(3);
  const audit = new AuditLog();
  const server = await startLinodeServer({
    state, faults, audit, kube: KUBE, token: TOKEN, readOnlyToken: READ_ONLY_TOKEN, rateLimit: options.rateLimit,
  });
  const originalStop = server.stop;
  return {
    server: { ...server, stop: async () => { state.stop(); await originalStop(); } },
    state, faults, audit,
    kube: (id) => state.kube(id) ?? assert.fail(`no kube ${id}`),
  };
}

// The package's typings re-export its LKE functions from directory indexes ('./kubernetes'), which
// NodeNext resolution does not follow; these are their signatures from lib/kubernetes/*.d.ts.
type Params = { page?: number | string; page_size?: number };
interface LkeFunctions {
  getKubernetesClusters(params?: Params, filter?: object): Promise<LinodePage<LkeCluster>>;
  getKubernetesCluster(clusterId: number): Promise<LkeCluster>;
  getNodePools(clusterId: number, params?: Params): Promise<LinodePage<LkePool>>;
  getNodePool(clusterId: number, poolId: number): Promise<LkePool>;
  getKubeConfig(clusterId: number): Promise<{ kubeconfig: string }>;
  resetKubeConfig(clusterId: number): Promise<object>;
  recycleClusterNodes(clusterId: number): Promise<object>;
  recycleAllNodes(clusterId: number, poolId: number): Promise<object>;
  recycleNode(clusterId: number, nodeId: string): Promise<object>;
}
const { setToken } = linodeApi;
export const { baseRequest } = linodeApi;
export const {
  getKubernetesClusters, getKubernetesCluster, getNodePools, getNodePool, getKubeConfig, resetKubeConfig,
  recycleClusterNodes, recycleAllNodes, recycleNode,
} = linodeApi as unknown as LkeFunctions;

// The client keeps its token and base URL global, so the tests point it at one simulator at a time.
let simulatorUrl = '';
/** points @linode/api-v4 (and `raw`) at the simulator under test */
export function useSimulator(url: string): void { simulatorUrl = url; }
baseRequest.interceptors.request.use((config: InternalAxiosRequestConfig) => ({ ...config, url: config.url?.replace('https://api.linode.com', simulatorUrl) }));
let tokenInterceptor = setToken(TOKEN);
export function useToken(token: string): void {
  baseRequest.interceptors.request.eject(tokenInterceptor);
  tokenInterceptor = setToken(token);
}

export interface ErrorReply { status: number; data: unknown; headers: Record<string, unknown> }

/** the HTTP error a client call failed with (fails the test if it succeeded) */
export async function httpError(call: Promise<unknown>): Promise<ErrorReply> {
  try {
    await call;
  } catch (err) {
    const response = (err as { response?: { status: number; data: unknown; headers: Record<string, unknown> } }).response;
    if (!response) throw err;
    return { status: response.status, data: response.data, headers: response.headers };
  }
  return assert.fail('expected the call to fail');
}

export function linodeError(reason: string, field?: string): unknown {
  return { errors: [field === undefined ? { reason } : { reason, field }] };
}

export const v4 = (path: string): string => `https://api.linode.com/v4${path}`;
export const v4beta = (path: string): string => `https://api.linode.com/v4beta${path}`;

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** a raw request, for what the client cannot send (no token, malformed JSON, odd paths) */
export function raw(method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(path, simulatorUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body, headers: res.headers }); });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
