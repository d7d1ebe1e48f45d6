// Worker-local kubeconfig cache keyed by cluster and token fingerprint. Activities hand each other
// fingerprints through workflow history; the kubeconfigs behind them stay here. In memory by default;
// with a directory (0700, files 0600) it survives a worker restart, which lets verify still prove the
// old token dead after a crash.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import type { KubeconfigCache } from '../ports.js';

/** Bounded: a fleet rotation touches each cluster's kubeconfig a few times, then never again. */
const DEFAULT_MAX_ENTRIES = 2_000;

export function createKubeconfigCache(options: { dir?: string; maxEntries?: number } = {}): KubeconfigCache {
  const memory = new Map<string, string>();
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const key = (clusterId: number, fingerprint: string): string => `${clusterId}-${fingerprint.replace(/[^0-9a-f]/gi, '')}`;
  const remember = (k: string, yaml: string): void => {
    memory.delete(k);
    memory.set(k, yaml);
    while (memory.size > maxEntries) memory.delete(memory.keys().next().value as string);
  };
  return {
    async get(clusterId, fingerprint) {
      const k = key(clusterId, fingerprint);
      const hit = memory.get(k);
      if (hit !== undefined || options.dir === undefined) return hit ?? null;
      try {
        const yaml = await readFile(join(options.dir, `${k}.kubeconfig.yaml`), 'utf8');
        remember(k, yaml);
        return yaml;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async put(clusterId, fingerprint, kubeconfigYaml) {
      const k = key(clusterId, fingerprint);
      remember(k, kubeconfigYaml);
      if (options.dir !== undefined) await writeFileAtomic(join(options.dir, `${k}.kubeconfig.yaml`), kubeconfigYaml);
    },
  };
}
