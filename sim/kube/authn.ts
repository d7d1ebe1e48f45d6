// Authentication as the apiserver does it for legacy service-account tokens: a bearer token names the
// service account whose token Secret holds it. Successful checks are cached, as a real apiserver
// caches token reviews (about 10 s), so a token keeps working for a while after its Secret is gone;
// the guide's own `kubectl delete secrets` relies on that to finish after deleting its own token.
// Also SelfSubjectReview (`kubectl auth whoami`), which tells a caller who it authenticated as.
import type { SimClock } from '../clock.js';
import { KubeApiError } from './status.js';
import { timestamp } from './store.js';

export interface ServiceAccountIdentity {
  namespace: string;
  serviceAccount: string;
  /** the ServiceAccount's uid, as the token Secret's annotation records it */
  uid: string;
}

/** What the authenticator needs from a cluster (sim/kube's KubeCluster). */
export interface TokenOwner {
  readonly clusterId: number;
  authenticate(token: string): ServiceAccountIdentity | undefined;
}

/** Simulated ms a successful token check is cached; the apiserver's token cache is about 10 s. */
export const DEFAULT_TOKEN_CACHE_MS = 10_000;

// Expired entries are swept once a cluster's cache grows past this, so it never grows unbounded.
const SWEEP_ABOVE = 1_000;

export class Unauthorized extends KubeApiError {
  constructor() { super(401, 'Unauthorized', 'Unauthorized'); }
}

export class TokenAuthenticator {
  private readonly cache = new Map<number, Map<string, { until: number; identity: ServiceAccountIdentity }>>();

  /** cacheMs: simulated, so a time-scaled simulator shortens it like every other real-world duration */
  constructor(private readonly clock: SimClock, private readonly cacheMs = DEFAULT_TOKEN_CACHE_MS) {}

  /** the identity behind an `Authorization: Bearer` header, or Unauthorized */
  authenticate(cluster: TokenOwner, header: string | undefined): ServiceAccountIdentity {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new Unauthorized();
    const token = match[1];
    const now = Date.now();
    let cache = this.cache.get(cluster.clusterId);
    const cached = cache?.get(token);
    if (cached && cached.until > now) return cached.identity;
    const identity = cluster.authenticate(token);
    if (!identity) throw new Unauthorized();
    const realMs = this.clock.real(this.cacheMs);
    if (realMs > 0) {
      if (!cache) this.cache.set(cluster.clusterId, (cache = new Map()));
      if (cache.size > SWEEP_ABOVE) for (const [key, entry] of cache) if (entry.until <= now) cache.delete(key);
      cache.set(token, { until: now + realMs, identity });
    }
    return identity;
  }
}

export const SELF_SUBJECT_REVIEW_PATH = /^\/apis\/authentication\.k8s\.io\/v1\/selfsubjectreviews\/?$/;

export function serviceAccountUsername(identity: Pick<ServiceAccountIdentity, 'namespace' | 'serviceAccount'>): string {
  return `system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`;
}

/** POST .../selfsubjectreviews: the caller's user info, as the apiserver reports a service account */
export function selfSubjectReview(method: string, identity: ServiceAccountIdentity): { status: number; body: unknown } {
  if (method !== 'POST') throw new KubeApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  return {
    status: 201,
    body: {
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: timestamp() },
      status: {
        userInfo: {
          username: serviceAccountUsername(identity),
          uid: identity.uid,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${identity.namespace}`, 'system:authenticated'],
        },
      },
    },
  };
}
