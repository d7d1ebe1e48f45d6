// Fleet label patterns (common/labelPattern.ts): globs and /regex/ are matched by RE2 in time linear
// in the label, the selection activity and the API share the one compiler, and a bad pattern is the
// API caller's 400 (fleets and Schedules), never a workflow that fails later.
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { selectClusters } from '../activities/fleet.js';
import { labelMatcher, labelPatternProblem } from '../common/labelPattern.js';
import { bearer, TOKENS, useFakeApp } from './support/apiFakes.js';
import { FakeLinode, range } from './support/fleetFakes.js';

const matchesOf = (pattern: string, labels: string[]) => labels.filter(labelMatcher(pattern));

/** Milliseconds one call takes. */
function timed(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

describe('label patterns', () => {
  const labels = ['payments-us-1', 'payments-eu-2', 'search-us-1', 'search-us-12', 'web', 'a.b', 'axb', 'Payments-US-1'];

  test('globs match the whole label: *, ?, [set], [!set], {a,b}, \\ escapes', () => {
    assert.deepEqual(matchesOf('payments-*', labels), ['payments-us-1', 'payments-eu-2']);
    assert.deepEqual(matchesOf('{payments,search}-us-?', labels), ['payments-us-1', 'search-us-1']);
    assert.deepEqual(matchesOf('*-us-[0-9]', labels), ['payments-us-1', 'search-us-1']);
    assert.deepEqual(matchesOf('*-[!u]?-?', labels), ['payments-eu-2', 'Payments-US-1'], 'case-sensitive');
    assert.deepEqual(matchesOf('a.b', labels), ['a.b'], 'a dot is a literal dot');
    assert.deepEqual(matchesOf('a\\*b', [...labels, 'a*b']), ['a*b']);
    assert.deepEqual(matchesOf('web', labels), ['web'], 'anchored: no substring match');
    assert.deepEqual(matchesOf('[[:alpha:]]*', ['x1', '1x']), ['x1']);
  });

  test('/regex/flags is RE2 syntax, searched anywhere in the label unless anchored', () => {
    assert.deepEqual(matchesOf('/^(payments|search)-us-\\d$/', labels), ['payments-us-1', 'search-us-1']);
    assert.deepEqual(matchesOf('/us-1/', labels), ['payments-us-1', 'search-us-1', 'search-us-12']);
    assert.deepEqual(matchesOf('/^payments-us/i', labels), ['payments-us-1', 'Payments-US-1']);
  });

  test('a pathological pattern completes in milliseconds on a long label', () => {
    const long = `${'a'.repeat(50_000)}b`;
    for (const pattern of ['/^(a+)+$/', '/(a|aa)+$/', '/^(a|a?)+$/', '*a*a*a*a*a*a*a*a*a*a*a*c', '/(.*a){20}$/']) {
      const match = labelMatcher(pattern);
      const ms = timed(() => assert.equal(match(long), false, pattern));
      assert.ok(ms < 1_000, `${pattern} took ${ms} ms`);
    }
  });

  test('invalid patterns are refused with a reason: syntax, backreferences, lookaround, unsupported glob forms', () => {
    const refused: [string, RegExp][] = [
      ['/(/', /missing closing \)/],
      ['/(a)\\1/', /invalid escape/],
      ['/(?=a)b/', /unsupported Perl syntax/],
      ['/a{1001}/', /invalid repeat count/],
      ['/abc/g', /flag "g" is not supported/],
      ['[abc', /"\[" is never closed/],
      ['{a,b', /"\{" is never closed/],
      ['a}', /"\}" has no matching "\{"/],
      ['!prod-*', /negation/],
      ['+(a|b)', /extglobs/],
      ['*(a|b)', /extglobs/],
      ['prod-{1..3}', /brace ranges/],
      ['x'.repeat(201), /longer than 200/],
      ['', /empty/],
    ];
    for (const [pattern, why] of refused) {
      const problem = labelPatternProblem(pattern);
      assert.ok(problem !== null, `${pattern} is refused`);
      assert.match(problem, why, pattern);
      assert.throws(() => labelMatcher(pattern), why);
    }
    for (const ok of ['prod-*', '/^a+$/i', '{a,b}-[x-z]?', '*']) assert.equal(labelPatternProblem(ok), null, ok);
  });

  test('the selection activity matches through the same engine and fails for good on a bad pattern', async () => {
    const api = new FakeLinode();
    api.add('prod', range(1, 3), 'us-ord');
    api.clusters[0].label = `${'a'.repeat(50_000)}b`;
    const started = performance.now();
    assert.deepEqual(await selectClusters(api, { labelPattern: '/^(a+)+$/' }), []);
    assert.ok(performance.now() - started < 1_000, 'no catastrophic backtracking in the worker');
    await assert.rejects(selectClusters(api, { labelPattern: '/(?<=x)y/' }),
      (err: Error & { type?: string; nonRetryable?: boolean }) => err.type === 'InvalidSelector' && err.nonRetryable === true);
  });
});

describe('the API refuses a bad label pattern before any workflow starts', () => {
  const f = useFakeApp();
  const operator = bearer(TOKENS.operator);
  const post = (url: string, payload: unknown) =>
    f.app.inject({ method: 'POST', url, headers: operator, payload: payload as InjectOptions['payload'] });

  it('POST /v1/fleet-rotations: 400 naming selector.labelPattern and why', async () => {
    const res = await post('/v1/fleet-rotations', { name: 'bad', selector: { labelPattern: '/(a)\\1/' } });
    assert.equal(res.statusCode, 400, res.body);
    const { error } = res.json() as { error: { code: string; field?: string; message: string } };
    assert.equal(error.code, 'invalid_request');
    assert.equal(error.field, 'selector.labelPattern');
    assert.match(error.message, /labelPattern "\/\(a\)\\\\1\/" is not valid: .*invalid escape/);
    const glob = await post('/v1/fleet-rotations', { name: 'bad', selector: { labelPattern: 'prod-[' } });
    assert.equal(glob.statusCode, 400, glob.body);
    assert.equal(f.deps.fleets.started.length, 0, 'no fleet started');
    const good = await post('/v1/fleet-rotations', { name: 'good', selector: { labelPattern: '/^(a+)+$/' } });
    assert.equal(good.statusCode, 202, good.body);
  });

  it('POST /v1/schedules: 400 naming fleet.selector.labelPattern', async () => {
    const res = await post('/v1/schedules', {
      scheduleId: 'bad', fleet: { name: 'bad', selector: { labelPattern: '/x/g' } }, timing: { every: '30 days' },
    });
    assert.equal(res.statusCode, 400, res.body);
    const { error } = res.json() as { error: { code: string; field?: string; message: string } };
    assert.equal(error.field, 'fleet.selector.labelPattern');
    assert.match(error.message, /flag "g" is not supported/);
    assert.equal(f.deps.schedules.created.length, 0, 'no schedule created');
  });
});
