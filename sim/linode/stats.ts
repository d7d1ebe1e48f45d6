// Request counts of the Linode API listener, per endpoint (method + route template), for benches that
// must say how many Linode calls a run made and how many were refused with 429. Served read-only at
// `GET /_sim/stats` (outside /v4, so it is neither rate-limited nor counted itself); docs/simulator.md.
// The audit log keeps only mutating calls; this counts every request, polls and lists included.
import type { RateLimitPeaks } from './rateLimit.js';

export interface EndpointStats {
  /** a GET that answers a `data` collection: Linode's collection limits (100/min, 10/s) apply instead of the per-endpoint one */
  collection: boolean;
  requests: number;
  /** answered 429 by the rate limiter (or an injected 429) */
  rateLimited: number;
  /** answers by HTTP status ("dropped": the connection was destroyed without an answer) */
  statuses: Record<string, number>;
}

export interface LinodeStatsSnapshot {
  /** when counting began (the listener's start) */
  since: string;
  at: string;
  total: { requests: number; rateLimited: number };
  /** keyed by `METHOD /route/:template`; requests to no known route under `unmatched` */
  endpoints: Record<string, EndpointStats>;
  /**
   * per kind of rate-limit bucket, its limit and the most requests one window of it passed (the
   * busiest token's, over the listener's life); absent with the limits off
   */
  peakWindows?: RateLimitPeaks;
}

export const UNMATCHED_ENDPOINT = 'unmatched';
/** the simulator's own read-only counters: outside /v4, so Linode's routes and limits never see it */
export const STATS_PATH = '/_sim/stats';

export class LinodeRequestStats {
  private readonly since = new Date().toISOString();
  private readonly endpoints = new Map<string, EndpointStats>();

  record(endpoint: string, status: number | 'dropped', collection = false): void {
    let stats = this.endpoints.get(endpoint);
    if (!stats) {
      stats = { collection, requests: 0, rateLimited: 0, statuses: {} };
      this.endpoints.set(endpoint, stats);
    }
    stats.requests++;
    if (status === 429) stats.rateLimited++;
    const key = String(status);
    stats.statuses[key] = (stats.statuses[key] ?? 0) + 1;
  }

  snapshot(): LinodeStatsSnapshot {
    const endpoints: Record<string, EndpointStats> = {};
    const total = { requests: 0, rateLimited: 0 };
    for (const [endpoint, stats] of [...this.endpoints].sort(([a], [b]) => a.localeCompare(b))) {
      endpoints[endpoint] = { ...stats, statuses: { ...stats.statuses } };
      total.requests += stats.requests;
      total.rateLimited += stats.rateLimited;
    }
    return { since: this.since, at: new Date().toISOString(), total, endpoints };
  }
}
