// Fault injection, per cluster and per route, seeded so a failing test run can be reproduced.
// Both the Linode listener and the Kubernetes listener ask `decide()` before handling a request.

export interface RouteMatch {
  api?: 'linode' | 'kube';
  /** undefined: any cluster */
  clusterId?: number;
  /** undefined: any method */
  method?: string;
  /** substring or pattern matched against the path without the /v4 or /k8s/clusters/<id> prefix */
  path?: string | RegExp;
}

export type FaultRule = RouteMatch & (
  | { kind: 'latency'; ms: number }
  /** each matching call fails with probability `rate` (seeded) */
  | { kind: 'errorRate'; rate: number; status: number }
  /** the next `count` matching calls fail with `status` (503 gets Linode's or Kubernetes' error body) */
  | { kind: 'failNext'; count: number; status: number; retryAfterSeconds?: number }
  /** the next `count` matching calls do their side effect, then reply `status` or drop the connection */
  | { kind: 'sideEffectThenFail'; count: number; outcome: number | 'drop' }
);

export interface FaultDecision {
  latencyMs: number;
  /** reply with this status before doing anything */
  failBefore?: { status: number; retryAfterSeconds?: number };
  /** do the work, then reply with this instead of the real response */
  failAfter?: number | 'drop';
}

export interface RequestInfo {
  api: 'linode' | 'kube';
  clusterId: number | null;
  method: string;
  path: string;
}

/** mulberry32: tiny, fast, seedable */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ActiveRule { id: number; rule: FaultRule; remaining: number }

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private readonly random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  /** Adds a rule; returns a function that removes it. */
  add(rule: FaultRule): () => void {
    const id = this.nextId++;
    const remaining = 'count' in rule ? rule.count : Number.POSITIVE_INFINITY;
    this.rules.push({ id, rule, remaining });
    return () => { this.rules = this.rules.filter((r) => r.id !== id); };
  }

  clear(clusterId?: number): void {
    this.rules = clusterId === undefined ? [] : this.rules.filter((r) => r.rule.clusterId !== clusterId);
  }

  get active(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  decide(req: RequestInfo): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const active of this.rules) {
      const { rule } = active;
      if (!matches(rule, req) || active.remaining <= 0) continue;
      switch (rule.kind) {
        case 'latency':
          decision.latencyMs += rule.ms;
          break;
        case 'errorRate':
          if (!decision.failBefore && this.random() < rule.rate) decision.failBefore = { status: rule.status };
          break;
        case 'failNext':
          if (!decision.failBefore) {
            decision.failBefore = { status: rule.status, retryAfterSeconds: rule.retryAfterSeconds };
            active.remaining--;
          }
          break;
        case 'sideEffectThenFail':
          if (decision.failAfter === undefined) {
            decision.failAfter = rule.outcome;
            active.remaining--;
          }
          break;
      }
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return decision;
  }
}

function matches(rule: RouteMatch, req: RequestInfo): boolean {
  if (rule.api !== undefined && rule.api !== req.api) return false;
  if (rule.clusterId !== undefined && rule.clusterId !== req.clusterId) return false;
  if (rule.method !== undefined && rule.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (rule.path !== undefined) {
    if (typeof rule.path === 'string' ? !req.path.includes(rule.path) : !rule.path.test(req.path)) return false;
  }
  return true;
}
