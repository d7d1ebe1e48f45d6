// The Linode budget (activities/linode/budget.ts) on its own: it holds requests while the bucket
// Linode last reported has no more than the others' part left, until its Reset; it counts its own
// requests between replies; a bucket seen only on collection GETs holds only those; a 429 holds
// everything for its Retry-After; requests in flight are bounded; and each process keeps to its part
// of the general limit, which the replies may not show.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinodeBudget } from '../activities/linode/budget.js';
import { describeEndpoint } from '../activities/linode/endpoints.js';

/** Whether acquire(collection) resolves within `ms`; the release is given back at once when it does. */
async function goesWithin(budget: LinodeBudget, collection: boolean, ms: number): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('still held')), ms);
  try {
    const release = await budget.acquire(collection, abort.signal);
    release();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const resetIn = (ms: number): number => (Date.now() + ms) / 1000;

describe('LinodeBudget', () => {
  test('holds once the bucket has only the others\' part left, until its Reset', async () => {
    const budget = new LinodeBudget({ share: 0.5 });
    budget.observe({ status: 200, collection: false, limit: 100, remaining: 51, reset: resetIn(600) });
    assert.equal(await goesWithin(budget, false, 50), true, '51 left of 100: one more is ours');
    const started = Date.now();
    // now 50 left by our own count: the other half belongs to other tools
    assert.equal(await goesWithin(budget, false, 2_000), true, 'goes after the Reset');
    assert.ok(Date.now() - started >= 500, `held until the Reset (${Date.now() - started} ms)`);
    assert.equal(budget.stats.waited, 1);
  });

  test('a burst from one process stops at its share, counted before any reply', async () => {
    const budget = new LinodeBudget({ share: 0.25, maxInFlight: 100 });
    budget.observe({ status: 200, collection: false, limit: 40, remaining: 40, reset: resetIn(10_000) });
    let sent = 0;
    const abort = new AbortController();
    const burst = Array.from({ length: 30 }, () => budget.acquire(false, abort.signal).then(() => { sent++; }, () => undefined));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sent, 10, 'a quarter of 40');
    abort.abort(new Error('test over'));
    await Promise.all(burst);
  });

  test('a bucket seen only on collection GETs holds only collection GETs', async () => {
    const budget = new LinodeBudget({ share: 0.5 });
    budget.observe({ status: 200, collection: true, limit: 10, remaining: 5, reset: resetIn(10_000) });
    assert.equal(await goesWithin(budget, true, 50), false, 'a list waits');
    assert.equal(await goesWithin(budget, false, 50), true, 'a GET of one object goes');
    // the same Limit reported on an ordinary reply: a bucket every request counts in
    budget.observe({ status: 200, collection: false, limit: 10, remaining: 4, reset: resetIn(10_000) });
    assert.equal(await goesWithin(budget, false, 50), false);
  });

  test('a 429 holds every request for its Retry-After', async () => {
    const budget = new LinodeBudget({ share: 1 });
    budget.observe({ status: 429, collection: false, retryAfterMs: 400 });
    assert.equal(await goesWithin(budget, false, 100), false);
    assert.equal(await goesWithin(budget, false, 1_000), true);
    assert.equal(budget.stats.rateLimited, 1);
  });

  test('a reply from an earlier window does not undo a later one, and replies out of order keep the lower count', () => {
    const budget = new LinodeBudget({ share: 0.5 });
    const later = resetIn(5_000);
    budget.observe({ status: 200, collection: false, limit: 10, remaining: 3, reset: later });
    budget.observe({ status: 200, collection: false, limit: 10, remaining: 9, reset: resetIn(1_000) });
    budget.observe({ status: 200, collection: false, limit: 10, remaining: 8, reset: later });
    return goesWithin(budget, false, 50).then((went) => assert.equal(went, false, '3 left of 10 at share 0.5'));
  });

  test('no more requests in flight than maxInFlight; a release lets the next go', async () => {
    const budget = new LinodeBudget({ maxInFlight: 2 });
    const first = await budget.acquire(false);
    await budget.acquire(false);
    assert.equal(await goesWithin(budget, false, 50), false);
    first();
    first(); // twice is once
    await budget.acquire(false);
    assert.equal(await goesWithin(budget, false, 50), false, 'the second and third are in flight');
  });

  test('a request that waits keeps its activity alive, and stops once it goes', async () => {
    const budget = new LinodeBudget({ share: 0.5, keepAliveMs: 50 });
    budget.observe({ status: 200, collection: false, limit: 10, remaining: 5, reset: resetIn(400) });
    let beats = 0;
    const release = await budget.acquire(false, undefined, () => { beats++; });
    const during = beats;
    assert.ok(during >= 4, `${during} keep-alives while held`);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(beats, during, 'none after it went');
    release();
  });

  test('keeps to its part of the general limit though no reply shows it: the share over the processes sharing it', async () => {
    let t = 1_000_000;
    const budget = new LinodeBudget({ share: 0.5, maxInFlight: 100, general: { limit: 40, windowMs: 60_000 }, now: () => t });
    // the replies name an endpoint's bucket with plenty left: the general one never shows
    budget.observe({ status: 200, collection: false, limit: 800, remaining: 800, reset: (t + 60_000) / 1000 });
    budget.setPeers({ peers: 1, noticeMs: 100 });
    for (let i = 0; i < 15; i++) assert.equal(await goesWithin(budget, false, 50), true, `request ${i + 1} of a share of 20`);
    // a second process appears: this one's part is now 10, and it has sent 15 within the window
    t += 1_000;
    budget.setPeers({ peers: 2, noticeMs: 100 });
    assert.equal(budget.processAllowance(), 10);
    assert.equal(await goesWithin(budget, false, 50), false, 'held: its part of the window is spent');
    // once its requests age out of the window (and its slack), it goes again
    t += 61_000;
    budget.setPeers({ peers: 2, noticeMs: 100 });
    assert.equal(await goesWithin(budget, false, 50), true);
  });

  test('a process that finds peers at its first view spends nothing for a window; one that sees a peer leave keeps its part a window longer', async () => {
    let t = 5_000_000;
    const budget = new LinodeBudget({ share: 0.5, maxInFlight: 100, general: { limit: 40, windowMs: 60_000 }, now: () => t });
    budget.setPeers({ peers: 2, noticeMs: 1_000 });
    assert.equal(await goesWithin(budget, false, 50), false, 'the others\' requests of the last window still count at Linode');
    t += 60_000;
    budget.setPeers({ peers: 2, noticeMs: 1_000 });
    assert.equal(await goesWithin(budget, false, 50), false, 'nor before the others can have seen it');
    t += 3_100;
    budget.setPeers({ peers: 2, noticeMs: 1_000 });
    assert.equal(await goesWithin(budget, false, 50), true);
    // the peer leaves: its part comes free only when its last requests have aged out at Linode
    budget.setPeers({ peers: 1, noticeMs: 1_000 });
    assert.equal(budget.processAllowance(), 10);
    t += 61_001;
    assert.equal(budget.processAllowance(), 20);
  });

  test('the share must be above 0 and at most 1', () => {
    for (const share of [0, -0.5, 1.5, Number.NaN]) assert.throws(() => new LinodeBudget({ share }), /share/);
  });
});

describe('describeEndpoint', () => {
  test('names requests by route template, and knows the collection GETs', () => {
    assert.deepEqual(describeEndpoint('get', 'http://127.0.0.1:4010/v4/lke/clusters/123/kubeconfig'),
      { name: 'GET /lke/clusters/:id/kubeconfig', collection: false });
    assert.deepEqual(describeEndpoint('post', 'https://api.linode.com/v4/lke/clusters/9/nodes/9-abc12/recycle'),
      { name: 'POST /lke/clusters/:id/nodes/:nodeId/recycle', collection: false });
    assert.deepEqual(describeEndpoint('get', 'https://api.linode.com/v4beta/lke/clusters/9/pools?page=2'),
      { name: 'GET /lke/clusters/:id/pools', collection: true });
    assert.deepEqual(describeEndpoint('get', 'https://api.linode.com/v4/lke/clusters'), { name: 'GET /lke/clusters', collection: true });
  });
});
