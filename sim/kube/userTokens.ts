// Legacy token Secrets that users made in kube-system for service accounts of their own (a CI
// deployer, Argo CD, a backup tool), as real LKE clusters often hold beside LKE's. Each has its own
// name, labels and annotations, which a rotation that recreates them must carry over.
import { KUBE_SYSTEM } from '../../common/lke.js';
import type { KubeObject } from './store.js';

/** A token Secret's own name, labels and annotations, when a user rather than LKE made it. */
export interface OwnTokenSecret {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** What seeding user-owned Secrets needs from a KubeCluster. */
export interface UserTokenTarget {
  addUserTokenSecret(namespace: string, serviceAccount: string, own: OwnTokenSecret): KubeObject;
}

export const USER_SERVICE_ACCOUNTS = ['ci-deployer', 'argocd-manager', 'gitlab-runner', 'monitoring-reader', 'backup-operator', 'terraform'] as const;
const MANAGERS = ['Helm', 'terraform', 'kubectl'] as const;
const TEAMS = ['platform', 'payments', 'data', 'web'] as const;
const NAME_STYLES = [(sa: string) => `${sa}-token`, (sa: string) => `${sa}-secret`, (sa: string) => `${sa}-sa-token`];

/** `count` user-owned token Secrets in kube-system (at most one per USER_SERVICE_ACCOUNTS entry), chosen by random() */
export function seedUserTokenSecrets(target: UserTokenTarget, count: number, random: () => number): KubeObject[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const accounts = [...USER_SERVICE_ACCOUNTS].sort(() => random() - 0.5).slice(0, Math.max(0, count));
  return accounts.map((serviceAccount) => {
    const manager = pick(MANAGERS);
    const team = pick(TEAMS);
    return target.addUserTokenSecret(KUBE_SYSTEM, serviceAccount, {
      name: pick(NAME_STYLES)(serviceAccount),
      labels: { 'app.kubernetes.io/managed-by': manager, 'app.kubernetes.io/name': serviceAccount, team },
      annotations: {
        owner: `${team}@example.com`,
        ...(manager === 'Helm' ? { 'meta.helm.sh/release-name': serviceAccount, 'meta.helm.sh/release-namespace': KUBE_SYSTEM } : {}),
      },
    });
  });
}

/** the four ways a pod references a Secret by name; a rotation that recreates the Secret must find each */
export type SecretReference = 'secretVolume' | 'projectedVolume' | 'envSecretKeyRef' | 'envFromSecretRef';
export const SECRET_REFERENCES: readonly SecretReference[] = ['secretVolume', 'projectedVolume', 'envSecretKeyRef', 'envFromSecretRef'];

/**
 * The pod spec of `<serviceaccount>-client`, a Deployment that uses a user's token Secret the way CI
 * runners and agents do: mounted as a volume (plain or projected) or read into the environment.
 */
export function tokenClientPodSpec(container: { name: string; image: string }, secretName: string, way: SecretReference): Record<string, unknown> {
  const mount = { volumeMounts: [{ name: 'token', mountPath: '/var/run/secrets/token', readOnly: true }] };
  switch (way) {
    case 'secretVolume':
      return { containers: [{ ...container, ...mount }], volumes: [{ name: 'token', secret: { secretName } }] };
    case 'projectedVolume':
      return { containers: [{ ...container, ...mount }], volumes: [{ name: 'token', projected: { sources: [{ secret: { name: secretName } }] } }] };
    case 'envSecretKeyRef':
      return { containers: [{ ...container, env: [{ name: 'KUBE_TOKEN', valueFrom: { secretKeyRef: { name: secretName, key: 'token' } } }] }] };
    case 'envFromSecretRef':
      return { containers: [{ ...container, envFrom: [{ secretRef: { name: secretName } }] }] };
  }
}
