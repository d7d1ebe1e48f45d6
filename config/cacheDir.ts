// The per-user cache of lke-rotator, ${XDG_CACHE_HOME:-~/.cache}/lke-rotator: the worker keeps its
// workflow bundles there, and the dev tooling its Temporal binaries.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'lke-rotator');
}
