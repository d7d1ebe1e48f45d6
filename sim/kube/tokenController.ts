// kube-controller-manager's token controller, for legacy service-account token Secrets: a Secret of
// type kubernetes.io/service-account-token whose data lacks token, ca.crt or namespace gets them a
// moment after it is written (the create's own answer has none yet, as on a real cluster). A Secret
// naming a service account that does not exist, or one with another uid, is deleted instead.
// It watches the store like the real one watches the apiserver, so every write path triggers it.
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../../common/names.js';
import type { SimClock } from '../clock.js';
import type { KubeObject, ObjectStore } from './store.js';

export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/** The keys the controller fills; base64 values as Secret data is (ca.crt may be a lazily encoded stand-in). */
export type TokenData = Record<'token' | 'ca.crt' | 'namespace', unknown>;

export interface TokenControllerContext {
  store: ObjectStore;
  clock: SimClock;
  /** simulated time from a Secret's write until the controller fills it */
  delayMs: number;
  /** a new token, the cluster's CA and the namespace, for a Secret in `namespace` */
  newTokenData(namespace: string): TokenData;
}

const FILLED_KEYS: readonly (keyof TokenData)[] = ['token', 'ca.crt', 'namespace'];

export class TokenController {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly ctx: TokenControllerContext) {
    ctx.store.listeners.add((resource, type, secret) => {
      if (resource === 'secrets' && type !== 'DELETED' && needsSync(secret)) this.schedule(secret.metadata.namespace!, secret.metadata.name);
    });
  }

  get pending(): number {
    return this.timers.size;
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    if (this.timers.has(key)) return;
    this.timers.set(key, this.ctx.clock.after(this.ctx.delayMs, () => {
      this.timers.delete(key);
      this.sync(namespace, name);
    }));
  }

  private sync(namespace: string, name: string): void {
    const { store } = this.ctx;
    const secret = store.get('secrets', namespace, name);
    if (!secret || !needsSync(secret)) return;
    const annotations = secret.metadata.annotations ?? {};
    const account = store.get('serviceaccounts', namespace, annotations[SERVICE_ACCOUNT_NAME_ANNOTATION] ?? '');
    const wantedUid = annotations[SERVICE_ACCOUNT_UID_ANNOTATION];
    if (!account || (wantedUid && wantedUid !== account.metadata.uid)) {
      store.delete('secrets', namespace, name);
      return;
    }
    const kept = Object.entries(secret.data ?? {}).filter(([, value]) => value !== undefined && value !== '');
    const data = { ...this.ctx.newTokenData(namespace), ...Object.fromEntries(kept) };
    store.update('secrets', {
      ...secret,
      metadata: { ...secret.metadata, annotations: { ...annotations, [SERVICE_ACCOUNT_UID_ANNOTATION]: account.metadata.uid } },
      data,
    });
  }
}

function needsSync(secret: KubeObject): boolean {
  if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return false;
  const data = secret.data as Record<string, unknown> | undefined;
  return FILLED_KEYS.some((key) => data?.[key] === undefined || data[key] === '');
}
