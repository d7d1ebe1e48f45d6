// The simulator's per-token Linode rate limit, through @linode/api-v4.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  baseRequest, getKubernetesClusters, httpError, linodeError, READ_ONLY_TOKEN, startHarness, TOKEN, useSimulator, useToken, v4beta, type Harness,
} from './support/simLinodeHarness.js';

describe('rate limit per token', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ clusters: 3, rateLimit: { perMinute: 3 } });
    useSimulator(h.server.url);
  });
  after(async () => { await h.server.stop(); });

  it('answers 429 Too many requests with X-RateLimit headers and Retry-After, per token', async () => {
    useToken(TOKEN);
    const first = await baseRequest.get(v4beta('/lke/clusters'));
    assert.equal(first.headers['x-ratelimit-limit'], '3');
    assert.equal(first.headers['x-ratelimit-remaining'], '2');
    await getKubernetesClusters();
    await getKubernetesClusters();
    const limited = await httpError(getKubernetesClusters());
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.data, linodeError('Too many requests'));
    assert.equal(limited.headers['x-ratelimit-limit'], '3');
    assert.equal(limited.headers['x-ratelimit-remaining'], '0');
    const reset = Number(limited.headers['x-ratelimit-reset']);
    assert.ok(reset > Date.now() / 1000 && reset <= Date.now() / 1000 + 61, `reset ${reset}`);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);

    useToken(READ_ONLY_TOKEN);
    try {
      assert.equal((await getKubernetesClusters()).results, 3, 'another token has its own window');
    } finally {
      useToken(TOKEN);
    }
  });
});
