// Linode's documented API rate limits (docs/design.md, "Facts about the real APIs"), counted per token
// in fixed windows:
//   general      every request:                                        1,600 per 2 minutes
//   perEndpoint  each endpoint (method + route template) without a
//                limit of its own:                                       800 per minute
//   collection   GETs that answer a `data` collection (paged lists),
//                all such endpoints together:                            100 per minute and 10 per second
// A request passes only if every bucket that applies has room, and then counts in each of them; a
// refused request counts in none, so a client that backs off as told gets through when the window
// resets. Every reply carries X-RateLimit-Limit, -Remaining and -Reset (epoch seconds) of the bucket
// closest to exhaustion; a 429 adds Retry-After.
// Real time, not simulated time: the limits are about a client's real request pace, whatever the
// simulator's time scale.

export interface WindowLimit {
  /** requests allowed per window */
  limit: number;
  windowMs: number;
}

export interface LinodeRateLimits {
  general: WindowLimit;
  perEndpoint: WindowLimit;
  collectionPerMinute: WindowLimit;
  collectionPerSecond: WindowLimit;
}

/** The numbers of Linode's API reference. */
export const LINODE_RATE_LIMITS: Readonly<LinodeRateLimits> = Object.freeze({
  general: { limit: 1_600, windowMs: 120_000 },
  perEndpoint: { limit: 800, windowMs: 60_000 },
  collectionPerMinute: { limit: 100, windowMs: 60_000 },
  collectionPerSecond: { limit: 10, windowMs: 1_000 },
});

/** Overrides of some of the documented numbers (a bench scaling them, a test making them small). */
export type RateLimitOverrides = { [bucket in keyof LinodeRateLimits]?: Partial<WindowLimit> };

export function rateLimitsWith(overrides: RateLimitOverrides = {}): LinodeRateLimits {
  const merged = {} as LinodeRateLimits;
  for (const bucket of Object.keys(LINODE_RATE_LIMITS) as (keyof LinodeRateLimits)[]) {
    const limits = { ...LINODE_RATE_LIMITS[bucket], ...overrides[bucket] };
    if (!Number.isInteger(limits.limit) || limits.limit < 1 || !Number.isInteger(limits.windowMs) || limits.windowMs < 1) {
      throw new RangeError(`rate limit ${bucket}: limit and windowMs must be positive integers`);
    }
    merged[bucket] = limits;
  }
  return merged;
}

export interface RateLimitedRequest {
  token: string;
  /** method and route template, e.g. `GET /lke/clusters/:id/kubeconfig` */
  endpoint: string;
  /** a GET that answers a `data` collection */
  collection: boolean;
}

export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

interface Window {
  startMs: number;
  used: number;
}

interface BucketState {
  key: string;
  limits: WindowLimit;
  window: Window;
}

/** The most requests any one window of a bucket kind passed, over the limiter's life: what a client spent at its peak. */
export type RateLimitPeaks = { [bucket in keyof LinodeRateLimits]: WindowLimit & { peakUsed: number } };

export class LinodeRateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly peakUsed: Record<keyof LinodeRateLimits, number> = { general: 0, perEndpoint: 0, collectionPerMinute: 0, collectionPerSecond: 0 };

  constructor(private readonly limits: LinodeRateLimits = LINODE_RATE_LIMITS, private readonly now: () => number = Date.now) {}

  take(request: RateLimitedRequest): RateLimitVerdict {
    const nowMs = this.now();
    const buckets: BucketState[] = this.bucketsFor(request).map(([key, limits]) => ({ key, limits, window: this.current(key, limits, nowMs) }));
    const exhausted = buckets.filter((b) => b.window.used >= b.limits.limit);
    if (exhausted.length > 0) {
      // The request can pass only once every exhausted bucket has reset: report the last to reset.
      const blocking = exhausted.reduce((a, b) => (resetMs(b) > resetMs(a) ? b : a));
      return {
        allowed: false,
        headers: { ...headersOf(blocking), 'Retry-After': String(Math.max(1, Math.ceil((resetMs(blocking) - nowMs) / 1000))) },
      };
    }
    for (const bucket of buckets) {
      bucket.window.used++;
      this.windows.set(bucket.key, bucket.window);
      const kind = bucketKind(bucket.key);
      this.peakUsed[kind] = Math.max(this.peakUsed[kind], bucket.window.used);
    }
    return { allowed: true, headers: headersOf(buckets.reduce(tighter)) };
  }

  peaks(): RateLimitPeaks {
    const peak = (kind: keyof LinodeRateLimits) => ({ ...this.limits[kind], peakUsed: this.peakUsed[kind] });
    return {
      general: peak('general'), perEndpoint: peak('perEndpoint'),
      collectionPerMinute: peak('collectionPerMinute'), collectionPerSecond: peak('collectionPerSecond'),
    };
  }

  private bucketsFor({ token, endpoint, collection }: RateLimitedRequest): [string, WindowLimit][] {
    const { general, perEndpoint, collectionPerMinute, collectionPerSecond } = this.limits;
    // Collection GETs have limits of their own, which stand in for the per-endpoint one ("800 per
    // minute per endpoint unless stated otherwise"); they are counted across all collection endpoints.
    const own: [string, WindowLimit][] = collection
      ? [[`collection/minute ${token}`, collectionPerMinute], [`collection/second ${token}`, collectionPerSecond]]
      : [[`endpoint ${token} ${endpoint}`, perEndpoint]];
    return [[`general ${token}`, general], ...own];
  }

  /** the bucket's running window, or a fresh one that is kept only if the request passes */
  private current(key: string, limits: WindowLimit, nowMs: number): Window {
    const window = this.windows.get(key);
    return window && nowMs - window.startMs < limits.windowMs ? window : { startMs: nowMs, used: 0 };
  }
}

function bucketKind(key: string): keyof LinodeRateLimits {
  if (key.startsWith('general ')) return 'general';
  if (key.startsWith('endpoint ')) return 'perEndpoint';
  return key.startsWith('collection/second ') ? 'collectionPerSecond' : 'collectionPerMinute';
}

function resetMs(bucket: BucketState): number {
  return bucket.window.startMs + bucket.limits.windowMs;
}

/** the bucket closer to exhaustion: fewer requests left, or as many left but a later reset */
function tighter(a: BucketState, b: BucketState): BucketState {
  const left = (bucket: BucketState): number => bucket.limits.limit - bucket.window.used;
  if (left(a) !== left(b)) return left(a) < left(b) ? a : b;
  return resetMs(b) > resetMs(a) ? b : a;
}

function headersOf(bucket: BucketState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(bucket.limits.limit),
    'X-RateLimit-Remaining': String(Math.max(0, bucket.limits.limit - bucket.window.used)),
    'X-RateLimit-Reset': String(Math.ceil(resetMs(bucket) / 1000)),
  };
}
