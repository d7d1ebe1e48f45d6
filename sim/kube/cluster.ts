// One simulated cluster's Kubernetes side: its objects, its controllers, and the hooks the Linode
// side drives (regenerate, node recycle, node readiness).
import type { SimClock } from '../clock.js';
import { DEFAULT_DELAYS } from '../state.js';
import type { ServiceAccountIdentity } from './authn.js';
import { CLUSTER_CA_CRT } from '../tls.js';
import { RESTARTED_AT_ANNOTATION, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../../common/names.js';
import { ADMIN_SERVICE_ACCOUNT, KUBE_SYSTEM, lkeTokenServiceAccounts } from '../../common/lke.js';
import type { WorkloadKind } from '../../common/types.js';
import { DisruptionController } from './disruption.js';
import { nameSuffix, serviceAccountToken } from './random.js';
import { patchLevel } from './resources.js';
import { seedObjects, type KubeSeed } from './seed.js';
import { ObjectStore, timestamp, type KubeObject } from './store.js';
import { SERVICE_ACCOUNT_UID_ANNOTATION, TokenController, type TokenData } from './tokenController.js';
import type { OwnTokenSecret } from './userTokens.js';
import { WORKLOAD_RESOURCES, WorkloadController, type WorkloadResource } from './workloads.js';

export { ADMIN_SERVICE_ACCOUNT, lkeTokenServiceAccounts, type KubeSeed };

const minorOf = (version: string) => Number(version.split('.')[1] ?? 0);

export class KubeCluster {
  readonly store: ObjectStore;
  readonly controller: WorkloadController;
  readonly tokenController: TokenController;
  /** subscribed to the store: keeps PodDisruptionBudget statuses current for as long as the cluster lives */
  readonly disruption: DisruptionController;
  /** the admin token last issued, still what the old kubeconfig carries after its Secret is deleted */
  private lastAdminToken = '';

  private constructor(
    readonly clusterId: number,
    readonly k8sVersion: string,
    readonly random: () => number,
    clock: SimClock,
    delays: { rolloutStepMs: number; tokenControllerMs: number },
  ) {
    this.store = new ObjectStore(random);
    this.controller = new WorkloadController({ store: this.store, random, clock, stepMs: delays.rolloutStepMs });
    this.disruption = new DisruptionController(this.store);
    this.tokenController = new TokenController({
      store: this.store, clock, delayMs: delays.tokenControllerMs, newTokenData: (namespace) => this.tokenData(namespace),
    });
  }

  static seed(seed: KubeSeed, clock: SimClock): KubeCluster {
    const cluster = new KubeCluster(seed.clusterId, seed.k8sVersion, seed.random, clock, {
      rolloutStepMs: seed.rolloutStepMs ?? DEFAULT_DELAYS.rolloutStepMs,
      tokenControllerMs: seed.tokenControllerMs ?? DEFAULT_DELAYS.tokenControllerMs,
    });
    seedObjects(cluster, seed);
    return cluster;
  }

  /** the kubelet version Nodes report, e.g. v1.31.3 */
  get kubeletVersion(): string {
    return `v${this.k8sVersion}.${patchLevel(minorOf(this.k8sVersion))}`;
  }

  adminToken(): string {
    const secret = this.tokenSecrets(KUBE_SYSTEM).find((s) => serviceAccountOf(s) === ADMIN_SERVICE_ACCOUNT);
    if (secret) this.lastAdminToken = secretToken(secret) ?? this.lastAdminToken;
    return this.lastAdminToken;
  }

  /** the service account whose token Secret (any namespace) holds `token` as data.token, if any */
  authenticate(token: string): ServiceAccountIdentity | undefined {
    const encoded = Buffer.from(token).toString('base64');
    for (const secret of this.store.values('secrets')) {
      if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE || (secret.data as Record<string, unknown> | undefined)?.token !== encoded) continue;
      const namespace = secret.metadata.namespace!;
      const serviceAccount = serviceAccountOf(secret) ?? '';
      const uid = secret.metadata.annotations?.[SERVICE_ACCOUNT_UID_ANNOTATION]
        ?? this.store.get('serviceaccounts', namespace, serviceAccount)?.metadata.uid ?? '';
      return { namespace, serviceAccount, uid };
    }
    return undefined;
  }

  /** true when `token` is the data.token of a service-account token Secret (any namespace) */
  acceptsToken(token: string): boolean {
    return this.authenticate(token) !== undefined;
  }

  tokenSecrets(namespace?: string): KubeObject[] {
    return this.store.list('secrets', namespace).filter((s) => s.type === SERVICE_ACCOUNT_TOKEN_TYPE);
  }

  /**
   * creates a token Secret already filled in, as the token controller leaves it: named
   * `<sa>-token-<5 chars>` as LKE's are, unless `own` names it (a user's Secret, with their labels and annotations)
   */
  createTokenSecret(namespace: string, serviceAccount: string, own?: OwnTokenSecret): KubeObject {
    const secret = this.store.create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: own?.name ?? `${serviceAccount}-token-${nameSuffix(this.random)}`,
        namespace,
        ...(own?.labels ? { labels: { ...own.labels } } : {}),
        annotations: {
          ...own?.annotations,
          [SERVICE_ACCOUNT_NAME_ANNOTATION]: serviceAccount, [SERVICE_ACCOUNT_UID_ANNOTATION]: this.serviceAccountUid(namespace, serviceAccount),
        },
      },
      type: SERVICE_ACCOUNT_TOKEN_TYPE,
      data: this.tokenData(namespace),
    });
    if (namespace === KUBE_SYSTEM && serviceAccount === ADMIN_SERVICE_ACCOUNT) this.lastAdminToken = secretToken(secret)!;
    return secret;
  }

  /**
   * A legacy token Secret a user made for their own service account (created too if missing), as real
   * clusters hold beside LKE's: the guide deletes it with LKE's, and LKE's regenerate does not bring it back.
   */
  addUserTokenSecret(namespace: string, serviceAccount: string, own: OwnTokenSecret): KubeObject {
    if (!this.store.get('serviceaccounts', namespace, serviceAccount)) {
      this.store.create('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount, namespace } });
    }
    return this.createTokenSecret(namespace, serviceAccount, own);
  }

  /** token, ca.crt and namespace, base64 as Secret data is */
  tokenData(namespace: string): TokenData {
    return {
      'ca.crt': CLUSTER_CA_CRT,
      namespace: Buffer.from(namespace).toString('base64'),
      token: Buffer.from(serviceAccountToken(this.random)).toString('base64'),
    };
  }

  private serviceAccountUid(namespace: string, name: string): string {
    return this.store.get('serviceaccounts', namespace, name)?.metadata.uid ?? this.store.newUid();
  }

  /**
   * LKE regenerate's effect inside the cluster: kube-system token Secrets recreated under new names
   * with new uids and tokens (old ones deleted if still there), and the kube-system components that
   * use them restarted (new pods).
   */
  regenerateServiceTokens(): void {
    const accounts = lkeTokenServiceAccounts(this.k8sVersion);
    for (const secret of this.tokenSecrets(KUBE_SYSTEM)) {
      if (accounts.includes(serviceAccountOf(secret) ?? '')) this.store.delete('secrets', KUBE_SYSTEM, secret.metadata.name);
    }
    for (const account of accounts) this.createTokenSecret(KUBE_SYSTEM, account);
    for (const resource of WORKLOAD_RESOURCES) {
      for (const workload of this.store.list(resource, KUBE_SYSTEM)) this.controller.replacePodsNow(resource, workload);
    }
  }

  addNode(node: { name: string; providerID: string }, ready: boolean): void {
    this.store.delete('nodes', undefined, node.name);
    this.store.create('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node.name,
        labels: {
          'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64',
        },
      },
      spec: { providerID: node.providerID },
      status: {
        conditions: [readyCondition(ready)],
        addresses: [{ type: 'Hostname', address: node.name }],
        nodeInfo: {
          kubeletVersion: this.kubeletVersion, kubeProxyVersion: this.kubeletVersion, operatingSystem: 'linux',
          architecture: 'amd64', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.24',
          kernelVersion: '6.1.0-28-cloud-amd64',
        },
      },
    });
    this.controller.scheduleAll(undefined, 'daemonsets');
  }

  /** the Node goes away with its pods; controllers recreate the pods elsewhere */
  removeNode(name: string): void {
    if (!this.store.delete('nodes', undefined, name)) return;
    this.nodeRemoved(name);
  }

  /** what follows a Node's removal, also when it is deleted through the API */
  nodeRemoved(name: string): void {
    for (const pod of this.store.list('pods')) {
      if ((pod.spec as { nodeName?: string }).nodeName === name) this.store.delete('pods', pod.metadata.namespace, pod.metadata.name);
    }
    this.controller.scheduleAll();
  }

  setNodeReady(name: string, ready: boolean): void {
    const node = this.store.get('nodes', undefined, name);
    if (!node) return;
    const status = node.status as { conditions: { type: string }[] };
    const conditions = status.conditions.map((c) => c.type === 'Ready' ? readyCondition(ready) : c);
    this.store.update('nodes', { ...node, status: { ...status, conditions } });
    if (!ready) this.controller.markNodePodsNotReady(name);
    this.controller.scheduleAll();
  }

  nodeNames(): string[] {
    return this.store.list('nodes').map((node) => node.metadata.name);
  }

  isNodeReady(name: string): boolean {
    const node = this.store.get('nodes', undefined, name);
    return ((node?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [])
      .some((c) => c.type === 'Ready' && c.status === 'True');
  }

  /** the workload's rollout stops; a Deployment's Progressing condition says ProgressDeadlineExceeded */
  failRollout(kind: WorkloadKind, namespace: string, name: string): boolean {
    return this.controller.fail(resourceOfKind(kind), namespace, name);
  }

  /** the workload's containers crash (CrashLoopBackOff): its pods stay not Ready until crashWorkload(..., false) */
  crashWorkload(kind: WorkloadKind, namespace: string, name: string, crashing = true): boolean {
    return this.controller.crash(resourceOfKind(kind), namespace, name, crashing);
  }

  /** the restartedAt annotation of a workload's pod template, if set */
  restartedAt(kind: WorkloadKind, namespace: string, name: string): string | undefined {
    const workload = this.store.get(resourceOfKind(kind), namespace, name);
    const template = (workload?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template;
    return template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
  }

  /** stops pending rollout and token timers (they are unref'd, so this only matters for a clean shutdown) */
  stop(): void {
    this.controller.stop();
    this.tokenController.stop();
  }
}

export function resourceOfKind(kind: WorkloadKind): WorkloadResource {
  return kind === 'Deployment' ? 'deployments' : kind === 'StatefulSet' ? 'statefulsets' : 'daemonsets';
}

function serviceAccountOf(secret: KubeObject): string | undefined {
  return secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION];
}

function secretToken(secret: KubeObject): string | undefined {
  const encoded = (secret.data as Record<string, unknown> | undefined)?.token;
  return typeof encoded === 'string' ? Buffer.from(encoded, 'base64').toString() : undefined;
}

function readyCondition(ready: boolean) {
  const at = timestamp();
  return ready
    ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at }
    : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready', lastHeartbeatTime: at, lastTransitionTime: at };
}
