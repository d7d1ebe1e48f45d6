// Worker-local kubeconfig cache keyed by cluster and token fingerprint. Activities hand each other
// fingerprints through workflow history; the kubeconfigs behind them stay here. In memory by default;
// with a directory (0700, files 0600) it survives a worker restart, which lets verify still prove the
// old token dead after a crash.
//
// It holds admin credentials, so it keeps only what running rotations need: a rotation releases its
// cluster's entries as it ends (the releaseKubeconfigs activity, dry runs included). Pruning is per
// worker process: a second worker keeps its own cache, and a rotation that ended while a worker was
// down (or was terminated) never released; so entries are also bounded by age, and files older than
// `maxAgeMs` are removed when the cache is first used and on every release.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import type { KubeconfigCache } from '../ports.js';

/** Bounded: a fleet rotation touches each cluster's kubeconfig a few times, then never again. */
const DEFAULT_MAX_ENTRIES = 2_000;
/** Longer than any rotation that is not waiting on a human for days; older entries are refetched or reported unchecked. */
export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const SUFFIX = '.kubeconfig.yaml';

export interface KubeconfigCacheOptions {
  /** on disk here (survives a worker restart); default in memory only */
  dir?: string;
  maxEntries?: number;
  /** files older than this are removed at start-up and on each release; default 24 h */
  maxAgeMs?: number;
  /** the clock for the age bound (tests) */
  now?: () => number;
}

const fileOf = (k: string): string => `${k}${SUFFIX}`;
/** A file of this cache: an entry, or the temp file of a write that never finished (`.<entry>.<random>.tmp`). */
const isCacheFile = (name: string): boolean => name.endsWith(SUFFIX) || (name.startsWith('.') && name.endsWith('.tmp'));
const isFileOfCluster = (name: string, clusterId: number): boolean =>
  name.replace(/^\./, '').startsWith(`${clusterId}-`) && isCacheFile(name);

async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function createKubeconfigCache(options: KubeconfigCacheOptions = {}): KubeconfigCache {
  /** entry key -> kubeconfig and when it was stored; a Map keeps insertion order, oldest first */
  const memory = new Map<string, { yaml: string; at: number }>();
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = options.now ?? Date.now;
  const { dir } = options;
  const key = (clusterId: number, fingerprint: string): string => `${clusterId}-${fingerprint.replace(/[^0-9a-f]/gi, '')}`;
  const remember = (k: string, yaml: string, at = now()): void => {
    memory.delete(k);
    memory.set(k, { yaml, at });
    while (memory.size > maxEntries) memory.delete(memory.keys().next().value as string);
  };
  const tooOld = (at: number): boolean => now() - at > maxAgeMs;

  /** Removes the files `pick` chooses and returns their entry keys (already gone is fine: a second worker's prune). */
  async function removeFiles(pick: (name: string) => Promise<boolean> | boolean): Promise<string[]> {
    if (dir === undefined) return [];
    const removed: string[] = [];
    for (const name of await namesIn(dir)) {
      if (!(await pick(name))) continue;
      await rm(join(dir, name), { force: true });
      if (name.endsWith(SUFFIX)) removed.push(name.slice(0, -SUFFIX.length));
    }
    return removed;
  }

  async function pruneByAge(): Promise<void> {
    for (const [k, entry] of memory) if (tooOld(entry.at)) memory.delete(k);
    await removeFiles(async (name) => {
      if (!isCacheFile(name)) return false;
      try {
        return tooOld((await stat(join(dir as string, name))).mtimeMs);
      } catch {
        return false; // removed meanwhile
      }
    });
  }

  let startup: Promise<void> | null = null;
  /** The age prune runs once before the first use; a failed one is tried again next time. */
  const started = (): Promise<void> => (startup ??= pruneByAge().catch((err: unknown) => {
    startup = null;
    throw err;
  }));

  return {
    async get(clusterId, fingerprint) {
      await started();
      const k = key(clusterId, fingerprint);
      const hit = memory.get(k);
      if (hit !== undefined && !tooOld(hit.at)) return hit.yaml;
      if (dir === undefined) return null;
      const path = join(dir, fileOf(k));
      try {
        const [yaml, { mtimeMs }] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        if (tooOld(mtimeMs)) return null;
        remember(k, yaml, mtimeMs);
        return yaml;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async put(clusterId, fingerprint, kubeconfigYaml) {
      await started();
      const k = key(clusterId, fingerprint);
      remember(k, kubeconfigYaml);
      if (dir !== undefined) await writeFileAtomic(join(dir, fileOf(k)), kubeconfigYaml);
    },
    async release(clusterId) {
      await started();
      const released = new Set([...memory.keys()].filter((k) => k.startsWith(`${clusterId}-`)));
      for (const k of released) memory.delete(k);
      for (const k of await removeFiles((name) => isFileOfCluster(name, clusterId))) released.add(k);
      await pruneByAge();
      return released.size;
    },
  };
}
