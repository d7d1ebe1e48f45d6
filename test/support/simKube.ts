// Starts the simulator's Kubernetes listener with directly seeded clusters, for tests of the kube side
// alone (the Linode side is not involved). The kubeconfig is built the way GET /kubeconfig serves it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { AuditLog } from '../../sim/audit.js';
import { SimClock } from '../../sim/clock.js';
import { FaultInjector, seededRandom } from '../../sim/faults.js';
import { KubeCluster, startKubeServer, type KubeServer } from '../../sim/kube/index.js';
import { buildKubeconfig } from '../../sim/linode/kubeconfig.js';

export interface TestKube {
  server: KubeServer;
  clusters: Map<number, KubeCluster>;
  faults: FaultInjector;
  audit: AuditLog;
  clock: SimClock;
  /** the kubeconfig YAML for a cluster with a given token (default: its current admin token) */
  kubeconfig(clusterId: number, token?: string): string;
  kubeConfig(clusterId: number, token?: string): KubeConfig;
  /** writes the kubeconfig to a temp file (0600) that stop() removes */
  kubeconfigFile(clusterId: number, token?: string): string;
  stop(): Promise<void>;
}

export interface TestKubeOptions {
  clusterIds?: number[];
  /** LKE minor version, for all clusters or per cluster id; default 1.31 */
  k8sVersion?: string | ((clusterId: number) => string);
  nodes?: number;
  timeScale?: number;
  tokenCacheMs?: number;
  rolloutStepMs?: number;
  appNamespaces?: number;
  userTokenSecrets?: number;
  pdbs?: boolean;
  workloadsPerCluster?: number;
}

export async function startTestKube(options: TestKubeOptions = {}): Promise<TestKube> {
  const clock = new SimClock(options.timeScale ?? 0.001);
  const faults = new FaultInjector(7);
  const audit = new AuditLog();
  const clusters = new Map<number, KubeCluster>();
  for (const clusterId of options.clusterIds ?? [101]) {
    const nodes = Array.from({ length: options.nodes ?? 3 }, (_, i) => ({
      name: `lke${clusterId}-${1000 + i}-${(0x5a3c + i).toString(16)}`,
      providerID: `linode://${70_000_000 + clusterId * 10 + i}`,
    }));
    clusters.set(clusterId, KubeCluster.seed({
      clusterId,
      k8sVersion: typeof options.k8sVersion === 'function' ? options.k8sVersion(clusterId) : options.k8sVersion ?? '1.31',
      nodes, random: seededRandom(clusterId),
      appNamespaces: options.appNamespaces ?? 2, rolloutStepMs: options.rolloutStepMs,
      userTokenSecrets: options.userTokenSecrets, pdbs: options.pdbs, workloadsPerCluster: options.workloadsPerCluster,
    }, clock));
  }
  const server = await startKubeServer({
    clusters: (id) => clusters.get(id), faults, audit, clock, tokenCacheMs: options.tokenCacheMs,
  });
  const tempDir = mkdtempSync(join(tmpdir(), 'sim-kube-'));
  let files = 0;
  const kubeconfig = (clusterId: number, token?: string) =>
    buildKubeconfig(clusterId, server, token ?? clusters.get(clusterId)!.adminToken());
  return {
    server, clusters, faults, audit, clock, kubeconfig,
    kubeConfig(clusterId, token) {
      const config = new KubeConfig();
      config.loadFromString(kubeconfig(clusterId, token));
      return config;
    },
    kubeconfigFile(clusterId, token) {
      const file = join(tempDir, `kubeconfig-${clusterId}-${files++}.yaml`);
      writeFileSync(file, kubeconfig(clusterId, token), { mode: 0o600 });
      return file;
    },
    async stop() {
      for (const cluster of clusters.values()) cluster.stop();
      await server.stop();
      rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
