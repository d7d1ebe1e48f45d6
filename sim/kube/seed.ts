// What a fresh LKE cluster holds: the system namespaces, kube-system's service accounts with their
// legacy token Secrets, LKE's kube-system components, the Nodes, and a few app namespaces with a
// Deployment, a StatefulSet and a DaemonSet each. All chosen by the seed's random().
// It knows the cluster only through SeedTarget, so cluster.ts can call it without an import cycle.
import { lkeTokenServiceAccounts } from '../../common/lke.js';
import type { KubeObject, ObjectStore } from './store.js';
import { seedUserTokenSecrets, type UserTokenTarget } from './userTokens.js';
import type { WorkloadController, WorkloadResource } from './workloads.js';

export interface KubeSeed {
  clusterId: number;
  /** LKE's minor version, e.g. "1.31" */
  k8sVersion: string;
  nodes: { name: string; providerID: string }[];
  random: () => number;
  /** app namespaces with workloads; default 1-3, chosen by random() */
  appNamespaces?: number;
  /** simulated time between rollout steps; default DEFAULT_DELAYS' (sim/state.ts) */
  rolloutStepMs?: number;
  /** simulated time until the token controller fills a new token Secret; default DEFAULT_DELAYS' (sim/state.ts) */
  tokenControllerMs?: number;
  /** user-owned legacy token Secrets in kube-system (userTokens.ts); default 0 */
  userTokenSecrets?: number;
}

/** What seeding needs from a KubeCluster. */
export interface SeedTarget extends UserTokenTarget {
  readonly store: ObjectStore;
  readonly controller: WorkloadController;
  readonly kubeletVersion: string;
  createTokenSecret(namespace: string, serviceAccount: string): KubeObject;
  addNode(node: { name: string; providerID: string }, ready: boolean): void;
}

const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
const APP_NAMESPACES = ['shop', 'payments', 'analytics', 'web', 'search', 'billing', 'media', 'auth', 'inventory', 'reports'];
const DEPLOYMENT_NAMES = ['frontend', 'api', 'worker', 'gateway', 'checkout', 'renderer'];
const STATEFULSET_NAMES = ['postgres', 'redis', 'kafka', 'elasticsearch', 'rabbitmq', 'mongodb'];
const DAEMONSET_NAMES = ['fluent-bit', 'node-exporter', 'log-agent', 'falco'];

interface WorkloadPlan { resource: WorkloadResource; name: string; replicas: number; image: string; labelKey?: string }

/** LKE's kube-system components (control-plane pieces run outside the cluster) */
const KUBE_SYSTEM_WORKLOADS: WorkloadPlan[] = [
  { resource: 'daemonsets', name: 'calico-node', replicas: 1, image: 'docker.io/calico/node:v3.28.2', labelKey: 'k8s-app' },
  { resource: 'deployments', name: 'calico-kube-controllers', replicas: 1, image: 'docker.io/calico/kube-controllers:v3.28.2', labelKey: 'k8s-app' },
  { resource: 'deployments', name: 'coredns', replicas: 2, image: 'registry.k8s.io/coredns/coredns:v1.11.3', labelKey: 'k8s-app' },
  { resource: 'statefulsets', name: 'csi-linode-controller', replicas: 1, image: 'linode/linode-blockstorage-csi-driver:v1.0.0' },
  { resource: 'daemonsets', name: 'csi-linode-node', replicas: 1, image: 'linode/linode-blockstorage-csi-driver:v1.0.0' },
  { resource: 'daemonsets', name: 'konnectivity-agent', replicas: 1, image: 'registry.k8s.io/kas-network-proxy/proxy-agent:v0.30.3', labelKey: 'k8s-app' },
  { resource: 'daemonsets', name: 'kube-proxy', replicas: 1, image: 'registry.k8s.io/kube-proxy', labelKey: 'k8s-app' },
];

const KIND_OF: Record<WorkloadResource, string> = { deployments: 'Deployment', statefulsets: 'StatefulSet', daemonsets: 'DaemonSet' };

export function seedObjects(cluster: SeedTarget, seed: KubeSeed): void {
  const { random } = seed;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const appCount = seed.appNamespaces ?? 1 + Math.floor(random() * 3);
  const apps = [...APP_NAMESPACES].sort(() => random() - 0.5).slice(0, Math.min(appCount, APP_NAMESPACES.length));

  for (const namespace of [...SYSTEM_NAMESPACES, ...apps]) {
    cluster.store.create('namespaces', {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: namespace, labels: { 'kubernetes.io/metadata.name': namespace } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    createServiceAccount(cluster, namespace, 'default');
  }
  for (const account of lkeTokenServiceAccounts(seed.k8sVersion)) {
    createServiceAccount(cluster, 'kube-system', account);
    cluster.createTokenSecret('kube-system', account);
  }
  for (const node of seed.nodes) cluster.addNode(node, true);

  for (const plan of KUBE_SYSTEM_WORKLOADS) {
    const image = plan.name === 'kube-proxy' ? `${plan.image}:${cluster.kubeletVersion}` : plan.image;
    createWorkload(cluster, 'kube-system', { ...plan, image });
  }
  for (const namespace of apps) {
    const replicas = () => 1 + Math.floor(random() * 3);
    createWorkload(cluster, namespace, { resource: 'deployments', name: pick(DEPLOYMENT_NAMES), replicas: replicas(), image: 'nginx:1.27' });
    createWorkload(cluster, namespace, { resource: 'statefulsets', name: pick(STATEFULSET_NAMES), replicas: replicas(), image: 'postgres:16' });
    createWorkload(cluster, namespace, { resource: 'daemonsets', name: pick(DAEMONSET_NAMES), replicas: 1, image: 'fluent/fluent-bit:3.1' });
  }
  // drawn last, so a seed gives the same LKE objects with or without them
  if (seed.userTokenSecrets) seedUserTokenSecrets(cluster, seed.userTokenSecrets, random);
  // addNode scheduled DaemonSet reconciliation; everything was settled directly instead
  cluster.controller.stop();
}

function createServiceAccount(cluster: SeedTarget, namespace: string, name: string): void {
  cluster.store.create('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
}

function createWorkload(cluster: SeedTarget, namespace: string, plan: WorkloadPlan): KubeObject {
  const labels = { [plan.labelKey ?? 'app.kubernetes.io/name']: plan.name };
  const template = {
    metadata: { labels },
    spec: { containers: [{ name: plan.name, image: plan.image, resources: {} }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
  };
  const strategy = plan.resource === 'deployments'
    ? { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, progressDeadlineSeconds: 600, revisionHistoryLimit: 10 }
    : plan.resource === 'statefulsets'
      ? { serviceName: plan.name, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, revisionHistoryLimit: 10 }
      : { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 };
  const workload = cluster.store.create(plan.resource, {
    apiVersion: 'apps/v1',
    kind: KIND_OF[plan.resource],
    metadata: { name: plan.name, namespace, generation: 1, labels },
    spec: {
      ...(plan.resource === 'daemonsets' ? {} : { replicas: plan.replicas }),
      selector: { matchLabels: labels },
      template,
      ...strategy,
    },
  });
  cluster.controller.settle(plan.resource, workload);
  return cluster.store.get(plan.resource, namespace, plan.name)!;
}
