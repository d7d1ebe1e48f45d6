// The kubeconfig room (activities/kubeconfig/): the directory sink and the worker's kubeconfig cache.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDirectorySink } from '../activities/kubeconfig/sink.js';
import { createKubeconfigCache } from '../activities/kubeconfig/cache.js';

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
