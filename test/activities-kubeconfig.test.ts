// The kubeconfig room (activities/kubeconfig/): the directory sink, the worker's kubeconfig cache
// (released per cluster, bounded by age) and the atomic write that leaves no temp file behind.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDirectorySink } from '../activities/kubeconfig/sink.js';
import { createKubeconfigCache } from '../activities/kubeconfig/cache.js';
import { writeFileAtomic } from '../activities/kubeconfig/files.js';

describe('directory sink', () => {
  test('one file per cluster: a renamed cluster replaces its old file; read returns the current one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sink-test-'));
    const sink = createDirectorySink(dir);
    assert.equal(await sink.read(3), null);
    const a = await sink.write(3, '../evil name', 'one');
    assert.match(a, /lke-3-_evil_name\.kubeconfig\.yaml$/);
    assert.ok(a.startsWith(dir));
    const b = await sink.write(3, 'renamed', 'two');
    await writeFile(join(dir, 'lke-30-other.kubeconfig.yaml'), 'other');
    assert.equal(await sink.read(3), 'two');
    await assert.rejects(stat(a));
    assert.equal((await stat(b)).mode & 0o777, 0o600);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('kubeconfig cache', () => {
  test('a directory-backed cache survives a worker restart and keeps files owner-only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cache-test-'));
    const cacheDir = join(dir, 'cache');
    await createKubeconfigCache({ dir: cacheDir }).put(5, 'abcdef0123456789', 'kubeconfig-5');
    const afterRestart = createKubeconfigCache({ dir: cacheDir });
    assert.equal(await afterRestart.get(5, 'abcdef0123456789'), 'kubeconfig-5');
    assert.equal(await afterRestart.get(5, '0000000000000000'), null);
    assert.equal(await afterRestart.get(6, 'abcdef0123456789'), null);
    assert.equal((await stat(join(cacheDir, '5-abcdef0123456789.kubeconfig.yaml'))).mode & 0o777, 0o600);
    assert.equal((await stat(cacheDir)).mode & 0o777, 0o700);
    const small = createKubeconfigCache({ maxEntries: 2 });
    await small.put(1, 'a', 'one');
    await small.put(2, 'b', 'two');
    await small.put(3, 'c', 'three');
    assert.equal(await small.get(1, 'a'), null, 'the oldest entry is evicted');
    assert.equal(await small.get(3, 'c'), 'three');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('kubeconfig cache pruning', () => {
  test('release forgets one cluster\'s entries on disk and in memory, leaves the others, and is safe to run twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cache-release-'));
    try {
      const cache = createKubeconfigCache({ dir });
      await cache.put(5, 'aaaa', 'kubeconfig-5a');
      await cache.put(5, 'bbbb', 'kubeconfig-5b');
      await cache.put(55, 'cccc', 'kubeconfig-55');
      await writeFile(join(dir, '.5-dddd.kubeconfig.yaml.0123.tmp'), 'half a kubeconfig');
      assert.equal(await cache.release(5), 2);
      assert.equal(await cache.get(5, 'aaaa'), null);
      assert.equal(await cache.get(5, 'bbbb'), null);
      assert.equal(await cache.get(55, 'cccc'), 'kubeconfig-55', 'cluster 55 is not cluster 5');
      assert.deepEqual(await readdir(dir), ['55-cccc.kubeconfig.yaml'], 'the leftover temp file went too');
      assert.equal(await cache.release(5), 0, 'a second release finds nothing and does not fail');
      const memoryOnly = createKubeconfigCache();
      await memoryOnly.put(7, 'eeee', 'kubeconfig-7');
      assert.equal(await memoryOnly.release(7), 1);
      assert.equal(await memoryOnly.get(7, 'eeee'), null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('entries older than the age bound are removed at start-up and never served', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cache-age-'));
    try {
      const day = 24 * 60 * 60 * 1000;
      await createKubeconfigCache({ dir }).put(8, 'aaaa', 'old');
      await createKubeconfigCache({ dir }).put(9, 'bbbb', 'fresh');
      await writeFile(join(dir, 'unrelated.txt'), 'not ours');
      const longAgo = new Date(Date.now() - 2 * day);
      await utimes(join(dir, '8-aaaa.kubeconfig.yaml'), longAgo, longAgo);
      const restarted = createKubeconfigCache({ dir, maxAgeMs: day });
      assert.equal(await restarted.get(9, 'bbbb'), 'fresh');
      assert.deepEqual((await readdir(dir)).sort(), ['9-bbbb.kubeconfig.yaml', 'unrelated.txt'], 'pruned before the first use');

      let now = Date.now();
      const clocked = createKubeconfigCache({ maxAgeMs: day, now: () => now });
      await clocked.put(1, 'ffff', 'in memory');
      now += 2 * day;
      assert.equal(await clocked.get(1, 'ffff'), null, 'an entry older than the bound is not served from memory either');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('atomic write', () => {
  test('a write that fails after its temp file exists removes the temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atomic-'));
    try {
      // renaming a file over a non-empty directory fails (EISDIR/ENOTEMPTY) after the temp file is written
      const target = join(dir, 'target.kubeconfig.yaml');
      await mkdir(target);
      await writeFile(join(target, 'occupied'), 'x');
      await assert.rejects(writeFileAtomic(target, 'secret kubeconfig'), (err: NodeJS.ErrnoException) =>
        ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(err.code ?? ''));
      assert.deepEqual(await readdir(dir), ['target.kubeconfig.yaml'], 'no temp file left behind');
      await writeFileAtomic(join(dir, 'ok.yaml'), 'content');
      assert.deepEqual((await readdir(dir)).sort(), ['ok.yaml', 'target.kubeconfig.yaml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
