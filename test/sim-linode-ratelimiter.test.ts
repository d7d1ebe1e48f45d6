// The simulator's Linode rate limiter on its own, with an injected clock, so window resets and the
// reported headers are exact (test/sim-linode-ratelimit.test.ts takes it through HTTP).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LINODE_RATE_LIMITS, LinodeRateLimiter, rateLimitsWith, type RateLimitedRequest, type RateLimitOverrides, type RateLimitVerdict,
} from '../sim/linode/rateLimit.js';

const START_MS = 1_700_000_000_000;
const GET_CLUSTER: RateLimitedRequest = { token: 'token-a', endpoint: 'GET /lke/clusters/:id', collection: false };
const GET_KUBECONFIG: RateLimitedRequest = { token: 'token-a', endpoint: 'GET /lke/clusters/:id/kubeconfig', collection: false };
const LIST_CLUSTERS: RateLimitedRequest = { token: 'token-a', endpoint: 'GET /lke/clusters', collection: true };
const LIST_POOLS: RateLimitedRequest = { token: 'token-a', endpoint: 'GET /lke/clusters/:id/pools', collection: true };

function limiterWith(overrides: RateLimitOverrides = {}): { limiter: LinodeRateLimiter; clock: { ms: number } } {
  const clock = { ms: START_MS };
  return { limiter: new LinodeRateLimiter(rateLimitsWith(overrides), () => clock.ms), clock };
}

/** takes `count` requests that must all pass; the last verdict */
function takeAllowed(limiter: LinodeRateLimiter, request: RateLimitedRequest, count: number): RateLimitVerdict {
  let verdict: RateLimitVerdict | undefined;
  for (let i = 0; i < count; i++) {
    verdict = limiter.take(request);
    assert.ok(verdict.allowed, `request ${i + 1} of ${count} to ${request.endpoint} should pass`);
  }
  return verdict ?? assert.fail('count must be positive');
}

function rateHeaders(verdict: RateLimitVerdict): { limit: number; remaining: number; reset: number; retryAfter?: number } {
  const h = verdict.headers;
  return {
    limit: Number(h['X-RateLimit-Limit']),
    remaining: Number(h['X-RateLimit-Remaining']),
    reset: Number(h['X-RateLimit-Reset']),
    ...(h['Retry-After'] === undefined ? {} : { retryAfter: Number(h['Retry-After']) }),
  };
}

describe('Linode rate limiter', () => {
  it('remembers the busiest window of each bucket kind, refused requests not counted', () => {
    const { limiter, clock } = limiterWith({ general: { limit: 10 } });
    takeAllowed(limiter, GET_CLUSTER, 6);
    takeAllowed(limiter, LIST_POOLS, 2);
    clock.ms += LINODE_RATE_LIMITS.general.windowMs;
    takeAllowed(limiter, GET_KUBECONFIG, 10);
    assert.equal(limiter.take(GET_KUBECONFIG).allowed, false);
    const peaks = limiter.peaks();
    assert.deepEqual(peaks.general, { limit: 10, windowMs: LINODE_RATE_LIMITS.general.windowMs, peakUsed: 10 });
    assert.equal(peaks.perEndpoint.peakUsed, 10);
    assert.equal(peaks.collectionPerMinute.peakUsed, 2);
    assert.equal(peaks.collectionPerSecond.peakUsed, 2);
  });

  it('has Linode\'s documented numbers by default', () => {
    assert.deepEqual(rateLimitsWith(), {
      general: { limit: 1_600, windowMs: 120_000 },
      perEndpoint: { limit: 800, windowMs: 60_000 },
      collectionPerMinute: { limit: 100, windowMs: 60_000 },
      collectionPerSecond: { limit: 10, windowMs: 1_000 },
    });
    assert.deepEqual(rateLimitsWith(), LINODE_RATE_LIMITS);
    assert.deepEqual(rateLimitsWith({ general: { limit: 16 } }).general, { limit: 16, windowMs: 120_000 });
    for (const bad of [{ general: { limit: 0 } }, { perEndpoint: { windowMs: -1 } }, { collectionPerSecond: { limit: 1.5 } }]) {
      assert.throws(() => rateLimitsWith(bad), /must be positive integers/, JSON.stringify(bad));
    }
  });

  it('general: 1,600 requests per token in 2 minutes over any endpoints, then 429 until the window resets', () => {
    const { limiter, clock } = limiterWith();
    takeAllowed(limiter, GET_CLUSTER, 800);
    clock.ms += 59_000;
    takeAllowed(limiter, GET_KUBECONFIG, 799);
    const last = takeAllowed(limiter, { ...GET_CLUSTER, endpoint: 'POST /lke/clusters/:id/regenerate' }, 1);
    assert.deepEqual(rateHeaders(last), { limit: 1_600, remaining: 0, reset: (START_MS + 120_000) / 1000 });

    clock.ms = START_MS + 100_000; // the per-endpoint windows have reset, the general one has not
    const refused = limiter.take(GET_CLUSTER);
    assert.equal(refused.allowed, false);
    assert.deepEqual(rateHeaders(refused), { limit: 1_600, remaining: 0, reset: (START_MS + 120_000) / 1000, retryAfter: 20 });

    clock.ms = START_MS + 120_000;
    assert.deepEqual(rateHeaders(takeAllowed(limiter, GET_CLUSTER, 1)), { limit: 800, remaining: 799, reset: (START_MS + 180_000) / 1000 });
  });

  it('per endpoint: 800 per minute per token and method + route template; other endpoints and tokens are not counted', () => {
    const { limiter, clock } = limiterWith();
    const last = takeAllowed(limiter, GET_KUBECONFIG, 800);
    assert.deepEqual(rateHeaders(last), { limit: 800, remaining: 0, reset: (START_MS + 60_000) / 1000 });
    clock.ms += 15_500;
    assert.deepEqual(rateHeaders(limiter.take(GET_KUBECONFIG)), { limit: 800, remaining: 0, reset: (START_MS + 60_000) / 1000, retryAfter: 45 });

    assert.ok(limiter.take({ ...GET_KUBECONFIG, endpoint: 'DELETE /lke/clusters/:id/kubeconfig' }).allowed, 'another method is another endpoint');
    assert.ok(limiter.take(GET_CLUSTER).allowed, 'another route is another endpoint');
    assert.ok(limiter.take({ ...GET_KUBECONFIG, token: 'token-b' }).allowed, 'another token has its own buckets');

    clock.ms = START_MS + 60_000;
    assert.ok(limiter.take(GET_KUBECONFIG).allowed, 'the window reset after a minute');
  });

  it('collections: 10 per second and 100 per minute per token across all list endpoints, instead of the per-endpoint limit', () => {
    const { limiter, clock } = limiterWith();
    takeAllowed(limiter, LIST_CLUSTERS, 6);
    const tenth = takeAllowed(limiter, LIST_POOLS, 4);
    assert.deepEqual(rateHeaders(tenth), { limit: 10, remaining: 0, reset: (START_MS + 1_000) / 1000 });
    clock.ms += 400;
    const refused = limiter.take(LIST_CLUSTERS);
    assert.equal(refused.allowed, false);
    assert.deepEqual(rateHeaders(refused), { limit: 10, remaining: 0, reset: (START_MS + 1_000) / 1000, retryAfter: 1 });
    assert.ok(limiter.take({ ...LIST_CLUSTERS, token: 'token-b' }).allowed, 'another token has its own buckets');
    assert.ok(limiter.take(GET_CLUSTER).allowed, 'a GET of one object is not a collection');

    // Ten a second for nine more seconds: the minute's hundred are used up, the second's are not.
    for (let second = 1; second <= 9; second++) {
      clock.ms = START_MS + second * 1_000;
      const verdict = takeAllowed(limiter, second % 2 ? LIST_POOLS : LIST_CLUSTERS, 10);
      if (second === 9) assert.deepEqual(rateHeaders(verdict), { limit: 100, remaining: 0, reset: (START_MS + 60_000) / 1000 });
    }
    clock.ms = START_MS + 10_000;
    assert.deepEqual(rateHeaders(limiter.take(LIST_POOLS)), { limit: 100, remaining: 0, reset: (START_MS + 60_000) / 1000, retryAfter: 50 });
    clock.ms = START_MS + 60_000;
    assert.ok(limiter.take(LIST_POOLS).allowed, 'the minute reset');
  });

  it('reports the bucket closest to exhaustion, and on a 429 the exhausted one that resets last', () => {
    const { limiter, clock } = limiterWith({ general: { limit: 20 }, perEndpoint: { limit: 12 } });
    // general 20 per 2 min, endpoint 12 per min: after one request 19 and 11 left, the endpoint is tighter
    assert.deepEqual(rateHeaders(limiter.take(GET_CLUSTER)), { limit: 12, remaining: 11, reset: (START_MS + 60_000) / 1000 });
    // the collection second (10) is tighter than the general (18 left) and the collection minute (100)
    assert.deepEqual(rateHeaders(limiter.take(LIST_CLUSTERS)), { limit: 10, remaining: 9, reset: (START_MS + 1_000) / 1000 });
    takeAllowed(limiter, GET_KUBECONFIG, 7);
    // general: 20 - 9 = 11 left, kubeconfig endpoint 12 - 7 = 5 left
    assert.deepEqual(rateHeaders(takeAllowed(limiter, GET_KUBECONFIG, 1)), { limit: 12, remaining: 4, reset: (START_MS + 60_000) / 1000 });
    takeAllowed(limiter, LIST_POOLS, 9);
    // general: 20 - 19 = 1 left; the collection second is used up: it alone refuses
    assert.deepEqual(rateHeaders(limiter.take(LIST_POOLS)), { limit: 10, remaining: 0, reset: (START_MS + 1_000) / 1000, retryAfter: 1 });
    assert.ok(limiter.take(GET_CLUSTER).allowed);
    // now the general bucket is used up too: both refuse, and the general one resets last
    assert.deepEqual(rateHeaders(limiter.take(LIST_POOLS)), { limit: 20, remaining: 0, reset: (START_MS + 120_000) / 1000, retryAfter: 120 });
    clock.ms += 2_000;
    assert.deepEqual(rateHeaders(limiter.take(LIST_POOLS)), { limit: 20, remaining: 0, reset: (START_MS + 120_000) / 1000, retryAfter: 118 });
  });
});
