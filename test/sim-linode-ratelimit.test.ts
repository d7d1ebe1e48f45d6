// The simulator's Linode rate limits through HTTP: each documented bucket trips at its limit with
// Linode's headers, per token and per endpoint, and they are on unless a caller turns them off
// (the limiter's arithmetic, with an injected clock: test/sim-linode-ratelimiter.test.ts).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { startSimulator } from '../sim/index.js';
import type { RateLimitOverrides } from '../sim/linode/rateLimit.js';
import {
  baseRequest, getKubernetesCluster, getKubernetesClusters, getNodePool, getNodePools, httpError, linodeError, READ_ONLY_TOKEN, startHarness,
  TOKEN, useSimulator, useToken, v4, v4beta, type ErrorReply, type Harness,
} from './support/simLinodeHarness.js';
import { startSimCli } from './support/simCli.js';

/** A Linode server with some documented numbers made small, the client pointed at it, always stopped. */
async function withLimits(rateLimit: RateLimitOverrides, fn: (h: Harness, ids: { cluster: number; other: number; pool: number }) => Promise<void>): Promise<void> {
  const h = await startHarness({ clusters: 2, rateLimit });
  useSimulator(h.server.url);
  useToken(TOKEN);
  try {
    const [first, second] = h.state.list();
    await fn(h, { cluster: first.cluster.id, other: second.cluster.id, pool: first.pools[0].id });
  } finally {
    useToken(TOKEN);
    await h.server.stop();
  }
}

function rateHeaders(headers: Record<string, unknown> | Headers): { limit: number; remaining: number; reset: number; retryAfter?: number } {
  const get = (name: string): unknown => (headers instanceof Headers ? headers.get(name) ?? undefined : headers[name]);
  const retryAfter = get('retry-after');
  return {
    limit: Number(get('x-ratelimit-limit')),
    remaining: Number(get('x-ratelimit-remaining')),
    reset: Number(get('x-ratelimit-reset')),
    ...(retryAfter === undefined ? {} : { retryAfter: Number(retryAfter) }),
  };
}

/** a 429 as Linode answers it: the body, the exhausted bucket's limit, and Reset and Retry-After within its window */
function assertTooManyRequests(reply: ErrorReply, limit: number, windowSeconds: number): void {
  assert.equal(reply.status, 429);
  assert.deepEqual(reply.data, linodeError('Too many requests'));
  const { limit: reported, remaining, reset, retryAfter } = rateHeaders(reply.headers);
  assert.deepEqual({ reported, remaining }, { reported: limit, remaining: 0 });
  const nowSeconds = Date.now() / 1000;
  assert.ok(reset > nowSeconds - 1 && reset <= nowSeconds + windowSeconds + 1, `X-RateLimit-Reset ${reset} within ${windowSeconds} s of ${nowSeconds}`);
  assert.ok(retryAfter !== undefined && retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After ${retryAfter} within 1..${windowSeconds}`);
}

describe('Linode rate limits through @linode/api-v4', () => {
  it('general: every request of a token counts, whatever the endpoint; the reply reports the tightest bucket', () =>
    withLimits({ general: { limit: 5 } }, async (_h, { cluster, pool }) => {
      const first = await baseRequest.get(v4beta(`/lke/clusters/${cluster}`));
      assert.deepEqual(rateHeaders(first.headers), { limit: 5, remaining: 4, reset: rateHeaders(first.headers).reset });
      await getKubernetesClusters();
      await getNodePools(cluster);
      await getNodePool(cluster, pool);
      await baseRequest.get(v4(`/lke/clusters/${cluster}/kubeconfig`));
      assertTooManyRequests(await httpError(getKubernetesCluster(cluster)), 5, 120);
      assertTooManyRequests(await httpError(getNodePool(cluster, pool)), 5, 120);

      useToken(READ_ONLY_TOKEN);
      assert.equal((await getKubernetesCluster(cluster)).id, cluster, 'another token has its own buckets');
    }));

  it('per endpoint: method and route template, whichever cluster and /v4 or /v4beta; other endpoints and tokens have their own', () =>
    withLimits({ perEndpoint: { limit: 3 } }, async (_h, { cluster, other, pool }) => {
      const first = await baseRequest.get(v4beta(`/lke/clusters/${cluster}`));
      assert.deepEqual(rateHeaders(first.headers).limit, 3);
      await baseRequest.get(v4(`/lke/clusters/${cluster}`));
      await getKubernetesCluster(other);
      assertTooManyRequests(await httpError(getKubernetesCluster(other)), 3, 60);

      assert.equal((await getNodePool(cluster, pool)).id, pool, 'another route is another endpoint');
      const regenerated = await baseRequest.post(v4(`/lke/clusters/${cluster}/regenerate`), { kubeconfig: true });
      assert.equal(regenerated.status, 200, 'another method is another endpoint');
      useToken(READ_ONLY_TOKEN);
      assert.equal((await getKubernetesCluster(cluster)).id, cluster, 'another token has its own buckets');
    }));

  it('collections: list GETs share 100 per minute per token, single-object GETs do not count there', () =>
    withLimits({ collectionPerMinute: { limit: 4 } }, async (_h, { cluster, other }) => {
      await getKubernetesClusters();
      await getNodePools(cluster);
      await getNodePools(other);
      const fourth = await baseRequest.get(v4beta('/lke/clusters'));
      assert.deepEqual(rateHeaders(fourth.headers), { limit: 4, remaining: 0, reset: rateHeaders(fourth.headers).reset });
      assertTooManyRequests(await httpError(getKubernetesClusters()), 4, 60);
      assertTooManyRequests(await httpError(getNodePools(cluster)), 4, 60);
      assert.equal((await getKubernetesCluster(cluster)).id, cluster);

      useToken(READ_ONLY_TOKEN);
      assert.equal((await getKubernetesClusters()).results, 2, 'another token has its own buckets');
    }));
});

describe('a simulator started with no rateLimit option enforces the documented limits', () => {
  it('the eleventh list within a second is refused with Retry-After 1, and a list passes again after the reset', async () => {
    const sim = await startSimulator({ clusters: 2, seed: 3 });
    try {
      const get = (path: string, token = sim.linodeToken): Promise<Response> =>
        fetch(`${sim.linodeApiUrl}/v4${path}`, { headers: { Authorization: `Bearer ${token}` } });
      const id = sim.state.list()[0].cluster.id;
      const single = await get(`/lke/clusters/${id}`);
      assert.deepEqual(rateHeaders(single.headers), { limit: 800, remaining: 799, reset: rateHeaders(single.headers).reset });

      // a burst, as a client paging with many requests in flight would send
      const burst = await Promise.all(Array.from({ length: 11 }, (_, i) => get(i % 2 ? `/lke/clusters/${id}/pools` : '/lke/clusters')));
      const refused = burst.filter((reply) => reply.status === 429);
      assert.deepEqual(burst.map((reply) => reply.status).sort(), [...Array<number>(10).fill(200), 429]);
      const limited = rateHeaders(refused[0].headers);
      assert.deepEqual({ limit: limited.limit, remaining: limited.remaining, retryAfter: limited.retryAfter }, { limit: 10, remaining: 0, retryAfter: 1 });
      assert.deepEqual(await refused[0].json(), linodeError('Too many requests'));
      assert.equal((await get('/lke/clusters', sim.readOnlyToken)).status, 200, 'another token has its own buckets');

      await sleep(Math.max(0, limited.reset * 1000 - Date.now()) + 50);
      const again = await get('/lke/clusters');
      assert.equal(again.status, 200);
      assert.deepEqual(rateHeaders(again.headers).limit, 10);
      assert.equal(rateHeaders(again.headers).remaining, 9, 'a new second');
    } finally {
      await sim.stop();
    }
  });
});

describe('npm run sim', () => {
  /** Starts the standalone simulator, bursts twelve lists at it, and stops it: the banner's first line and the statuses. */
  async function burstAtCli(extraArgs: string[]): Promise<{ banner: string; statuses: number[] }> {
    const sim = await startSimCli(['--clusters', '1', ...extraArgs]);
    try {
      const replies = await Promise.all(Array.from({ length: 12 }, () => fetch(`${sim.url}/v4/lke/clusters`, { headers: { Authorization: `Bearer ${sim.token}` } })));
      await Promise.all(replies.map((reply) => reply.body?.cancel()));
      return { banner: sim.banner.split('\n')[0], statuses: replies.map((reply) => reply.status).sort() };
    } finally {
      await sim.stop();
    }
  }

  it('enforces the limits by default, and not with --no-rate-limit', async () => {
    const limited = await burstAtCli([]);
    assert.match(limited.banner, /Linode rate limits on/);
    assert.deepEqual(limited.statuses, [...Array<number>(10).fill(200), 429, 429]);
    const unlimited = await burstAtCli(['--no-rate-limit']);
    assert.match(unlimited.banner, /Linode rate limits off/);
    assert.deepEqual(unlimited.statuses, Array<number>(12).fill(200));
  });
});
