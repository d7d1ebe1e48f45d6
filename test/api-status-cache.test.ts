// The status endpoint's cache (api/statusCache.ts): one read serves every caller within the bound,
// reads in flight are shared, failures are not kept, and no answer comes from a read that started
// more than maxAgeMs before the request. The property drives random gets, invalidations, clock
// steps and read completions against a fake clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RotationView } from '../api/deps.js';
import { createStatusCache } from '../api/statusCache.js';
import { buildApp } from '../api/app.js';
import { bearer, fakeDeps, statusFor, TOKENS } from './support/apiFakes.js';

const viewAt = (version: number): RotationView => ({ version } as unknown as RotationView);
const versionOf = (view: RotationView | null) => (view as unknown as { version: number } | null)?.version;

/** A read that completes when told to, answering the world's version at the moment it started. */
function controllableReads(world: { version: number }) {
  const pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
  let reads = 0;
  const read = (_clusterId: number) => {
    reads++;
    const version = world.version;
    return new Promise<RotationView | null>((resolve, reject) => {
      pending.push({ resolve: () => resolve(viewAt(version)), reject });
    });
  };
  return { read, pending, reads: () => reads };
}

describe('status cache', () => {
  test('callers within the bound share one read; after it, a new read; failures are not kept; 0 turns it off', async () => {
    let now = 1_000;
    const world = { version: 1 };
    const reads = controllableReads(world);
    const cache = createStatusCache(reads.read, { maxAgeMs: 500, now: () => now });

    const first = [cache.get(7), cache.get(7), cache.get(7)];
    assert.equal(reads.reads(), 1, 'concurrent callers share the read in flight');
    reads.pending.shift()!.resolve();
    assert.deepEqual((await Promise.all(first)).map((a) => versionOf(a.view)), [1, 1, 1]);

    now += 249;
    world.version = 2;
    const early = await cache.get(7);
    assert.deepEqual([versionOf(early.view), early.ageMs, reads.reads()], [1, 249, 1], 'before half the bound: no read');

    now += 250;
    const cached = await cache.get(7);
    assert.deepEqual([versionOf(cached.view), cached.ageMs, reads.reads()], [1, 499, 2],
      'past half the bound: the current answer serves while a fresh read starts behind it');

    now += 1;
    const joined = cache.get(7);
    assert.equal(reads.reads(), 2, 'at the bound, callers wait for the read in flight (started 1 ms ago)');
    reads.pending.shift()!.resolve();
    assert.deepEqual([versionOf((await joined).view), (await joined).ageMs], [2, 1]);

    now += 500;
    const fresh = cache.get(7);
    assert.equal(reads.reads(), 3, 'a read started maxAgeMs ago no longer serves');
    reads.pending.shift()!.resolve();
    assert.equal(versionOf((await fresh).view), 2);

    cache.invalidate(7);
    const failing = cache.get(7);
    reads.pending.shift()!.reject(new Error('Temporal unavailable'));
    await assert.rejects(failing, /Temporal unavailable/);
    const afterFailure = cache.get(7);
    assert.equal(reads.reads(), 5, 'a failed read is not served again');
    reads.pending.shift()!.resolve();
    await afterFailure;

    const off = createStatusCache(reads.read, { maxAgeMs: 0, now: () => now });
    const a = off.get(7);
    const b = off.get(7);
    assert.equal(reads.reads(), 7, 'maxAgeMs 0: every get reads');
    reads.pending.splice(0).forEach((p) => p.resolve());
    await Promise.all([a, b]);
  });

  test('property: an answer never comes from a read that started maxAgeMs or more before the request, and never from a failed read', async () => {
    type Op =
      | { kind: 'get'; cluster: number }
      | { kind: 'tick'; ms: number }
      | { kind: 'change' }
      | { kind: 'settle'; fail: boolean }
      | { kind: 'invalidate'; cluster: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), cluster: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ kind: fc.constant('change' as const) }),
      fc.record({ kind: fc.constant('settle' as const), fail: fc.boolean() }),
      fc.record({ kind: fc.constant('invalidate' as const), cluster: fc.integer({ min: 1, max: 3 }) }),
    );
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 1_000 }), async (ops, maxAgeMs) => {
      let now = 0;
      let version = 0;
      // version -> when the world reached it; a read answers the version at its start
      const reachedAt = new Map<number, number>([[0, 0]]);
      const inFlight: { resolve: () => void; reject: () => void }[] = [];
      const failedVersions = new Set<number>();
      const read = () => {
        const v = version;
        return new Promise<RotationView | null>((resolve, reject) => {
          inFlight.push({ resolve: () => resolve(viewAt(v)), reject: () => { failedVersions.add(v); reject(new Error('read failed')); } });
        });
      };
      const cache = createStatusCache(read, { maxAgeMs, now: () => now });
      const answers: Promise<void>[] = [];
      for (const o of ops) {
        if (o.kind === 'tick') now += o.ms;
        else if (o.kind === 'change') reachedAt.set(++version, now);
        else if (o.kind === 'invalidate') cache.invalidate(o.cluster);
        else if (o.kind === 'settle') {
          const next = inFlight.shift();
          if (next) (o.fail ? next.reject : next.resolve)();
          await Promise.resolve();
        } else {
          const requestedAt = now;
          // the newest version that had been reached maxAgeMs before the request
          const oldestAllowed = Math.max(...[...reachedAt].filter(([, at]) => at <= requestedAt - maxAgeMs).map(([v]) => v), 0);
          answers.push(cache.get(o.cluster).then(({ view, ageMs }) => {
            const v = versionOf(view)!;
            assert.ok(v >= oldestAllowed, `answered version ${v} though ${oldestAllowed} was reached ${maxAgeMs} ms before the request`);
            assert.ok(v <= version, 'never a version the world has not reached');
            assert.ok(ageMs >= 0);
          }, () => undefined));
        }
      }
      inFlight.splice(0).forEach((p) => p.resolve());
      await Promise.all(answers);
    }), { numRuns: Number(process.env.CACHE_RUNS ?? 300) });
  });
});

describe('status endpoint with the cache', () => {
  test('the Age header reports the answer\'s age; a control by this API drops the entry so the caller sees its effect', async () => {
    const deps = fakeDeps({ statusMaxAgeMs: 60_000 });
    const app = await buildApp(deps);
    try {
      const input = { clusterId: 101, requestedBy: 'olga' };
      await deps.rotations.start(input);
      const get = () => app.inject({ method: 'GET', url: '/v1/rotations/101', headers: bearer(TOKENS.viewer) });
      const first = await get();
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.headers.age, '0');
      assert.ok(Number(first.headers['x-status-age-ms']) >= 0);
      const view = deps.rotations.views.get(101)!;
      deps.rotations.views.set(101, { ...view, status: { ...statusFor(input), paused: true } });
      assert.equal((await get()).json().status.paused, false, 'within the bound the earlier read serves');
      const paused = await app.inject({ method: 'POST', url: '/v1/rotations/101/pause', headers: { ...bearer(TOKENS.operator), 'content-type': 'application/json' }, payload: {} });
      assert.equal(paused.statusCode, 200, paused.body);
      assert.equal((await get()).json().status.paused, true, 'after a control the next read is fresh');
    } finally {
      await app.close();
    }
  });
});
