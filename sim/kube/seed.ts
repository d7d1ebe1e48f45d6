// What a fresh LKE cluster holds: the system namespaces, kube-system's service accounts with their
// legacy token Secrets, LKE's kube-system components, the Nodes, and a few app namespaces with a
// Deployment, a StatefulSet and a DaemonSet each, the replicated ones guarded by PodDisruptionBudgets.
// All chosen by the seed's random(); what was added later is drawn (or derived) after the rest, so a
// seed keeps giving the objects it gave before.
// It knows the cluster only through SeedTarget, so cluster.ts can call it without an import cycle.
import { KUBE_SYSTEM, lkeTokenServiceAccounts } from '../../common/lke.js';
import { SERVICE_ACCOUNT_NAME_ANNOTATION } from '../../common/names.js';
import { stableUid } from './random.js';
import type { KubeObject, ObjectStore } from './store.js';
import { SECRET_REFERENCES, seedUserTokenSecrets, tokenClientPodSpec, type UserTokenTarget } from './userTokens.js';
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
  /**
   * user-owned legacy token Secrets in kube-system (userTokens.ts), each with a `<serviceaccount>-client`
   * Deployment whose pods reference it; default 0
   */
  userTokenSecrets?: number;
  /** a PodDisruptionBudget (maxUnavailable 1) per app StatefulSet and per app Deployment of 2+ replicas; default true */
  pdbs?: boolean;
  /** app Deployments in total (2 replicas each, spread over the app namespaces, each with a budget); default one per namespace */
  workloadsPerCluster?: number;
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

interface WorkloadPlan {
  resource: WorkloadResource; name: string; replicas: number; image: string; labelKey?: string;
  /** the pod template's spec, when more than the one container */
  podSpec?: Record<string, unknown>;
  serviceAccountName?: string;
}

/** LKE's components that run as the 1.26+ token service accounts, when the cluster has them */
const COMPONENT_ACCOUNTS: Record<string, string> = { 'csi-linode-controller': 'csi-controller-user', 'konnectivity-agent': 'konnectivity-agent-user' };

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

  const accounts = new Set(lkeTokenServiceAccounts(seed.k8sVersion));
  for (const plan of KUBE_SYSTEM_WORKLOADS) {
    const image = plan.name === 'kube-proxy' ? `${plan.image}:${cluster.kubeletVersion}` : plan.image;
    const account = COMPONENT_ACCOUNTS[plan.name];
    createWorkload(cluster, KUBE_SYSTEM, { ...plan, image, ...(account && accounts.has(account) ? { serviceAccountName: account } : {}) });
  }
  const guarded: KubeObject[] = [];
  for (const namespace of apps) {
    const replicas = () => 1 + Math.floor(random() * 3);
    const name = pick(DEPLOYMENT_NAMES);
    const deploymentReplicas = replicas();
    if (seed.workloadsPerCluster === undefined) {
      const deployment = createWorkload(cluster, namespace, { resource: 'deployments', name, replicas: deploymentReplicas, image: 'nginx:1.27' });
      if (deploymentReplicas >= 2) guarded.push(deployment);
    }
    guarded.push(createWorkload(cluster, namespace, { resource: 'statefulsets', name: pick(STATEFULSET_NAMES), replicas: replicas(), image: 'postgres:16' }));
    createWorkload(cluster, namespace, { resource: 'daemonsets', name: pick(DAEMONSET_NAMES), replicas: 1, image: 'fluent/fluent-bit:3.1' });
  }
  // a bench's many small Deployments, round-robin over the app namespaces
  for (let i = 0; i < (seed.workloadsPerCluster ?? 0) && apps.length > 0; i++) {
    const name = `svc-${String(i + 1).padStart(3, '0')}`;
    guarded.push(createWorkload(cluster, apps[i % apps.length], { resource: 'deployments', name, replicas: 2, image: 'nginx:1.27' }));
  }
  // drawn last, so a seed gives the same LKE objects with or without them
  if (seed.userTokenSecrets) {
    const secrets = seedUserTokenSecrets(cluster, seed.userTokenSecrets, random);
    secrets.forEach((secret, i) => {
      const account = secret.metadata.annotations![SERVICE_ACCOUNT_NAME_ANNOTATION];
      const name = `${account}-client`;
      createWorkload(cluster, KUBE_SYSTEM, {
        resource: 'deployments', name, replicas: 1, image: 'bitnami/kubectl:1.31',
        podSpec: tokenClientPodSpec({ name, image: 'bitnami/kubectl:1.31' }, secret.metadata.name, SECRET_REFERENCES[i % SECRET_REFERENCES.length]),
      });
    });
  }
  // uids derived, not drawn: budgets take nothing from random()
  if (seed.pdbs ?? true) for (const workload of guarded) createBudget(cluster, seed.clusterId, workload);
  // addNode scheduled DaemonSet reconciliation; everything was settled directly instead
  cluster.controller.stop();
}

function createBudget(cluster: SeedTarget, clusterId: number, workload: KubeObject): void {
  const { name, namespace, labels } = workload.metadata;
  cluster.store.create('poddisruptionbudgets', {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: `${name}-pdb`, namespace, uid: stableUid(`${clusterId}/${namespace}/${name}-pdb`), generation: 1, labels: { ...labels } },
    spec: { maxUnavailable: 1, selector: { matchLabels: { ...labels } } },
  });
}

function createServiceAccount(cluster: SeedTarget, namespace: string, name: string): void {
  cluster.store.create('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
}

function createWorkload(cluster: SeedTarget, namespace: string, plan: WorkloadPlan): KubeObject {
  const labels = { [plan.labelKey ?? 'app.kubernetes.io/name']: plan.name };
  const template = {
    metadata: { labels },
    spec: {
      ...(plan.podSpec ?? { containers: [{ name: plan.name, image: plan.image, resources: {} }] }),
      ...(plan.serviceAccountName ? { serviceAccountName: plan.serviceAccountName } : {}),
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30,
    },
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
