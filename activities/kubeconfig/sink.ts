// The default kubeconfig sink: a directory (KUBECONFIG_DIR) with one file per cluster,
// lke-<id>-<label>.kubeconfig.yaml, mode 0600, replaced by atomic rename.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import type { KubeconfigSink } from '../ports.js';

const SUFFIX = '.kubeconfig.yaml';

/** Labels are user text; keep file names to a safe alphabet. */
function safeLabel(label: string): string {
  return label.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '').slice(0, 64) || 'cluster';
}

export function kubeconfigFileName(clusterId: number, label: string): string {
  return `lke-${clusterId}-${safeLabel(label)}${SUFFIX}`;
}

async function filesOfCluster(dir: string, clusterId: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const prefix = `lke-${clusterId}-`;
  return names.filter((n) => n.startsWith(prefix) && n.endsWith(SUFFIX));
}

export function createDirectorySink(dir: string): KubeconfigSink {
  return {
    async write(clusterId, label, kubeconfigYaml) {
      const name = kubeconfigFileName(clusterId, label);
      const path = join(dir, name);
      await writeFileAtomic(path, kubeconfigYaml);
      // a renamed cluster leaves its old file behind: it holds the rotated-out credentials
      for (const stale of await filesOfCluster(dir, clusterId)) {
        if (stale !== name) await rm(join(dir, stale), { force: true });
      }
      return path;
    },
    async read(clusterId) {
      const [name] = await filesOfCluster(dir, clusterId);
      if (name === undefined) return null;
      try {
        return await readFile(join(dir, name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
  };
}
