// A disk cache for the workflow bundle. Webpack takes 3-10 s per process, and every test file that
// runs a worker is a process of its own. The key covers everything that can reach the bundle:
// workflows/ and common/ (the lint rule allows workflows no other value imports from the repo),
// the lockfile (npm packages a workflow imports) and this SDK's version.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { defaultCacheDir } from '../config/cacheDir.js';

const sdkVersion = (createRequire(import.meta.url)('@temporalio/worker/package.json') as { version: string }).version;

export async function cachedBundle(
  workflowsPath: string,
  build: () => Promise<WorkflowBundleWithSourceMap>,
  cacheDir = join(defaultCacheDir(), 'workflow-bundles'),
): Promise<WorkflowBundleWithSourceMap> {
  const key = await bundleKey(workflowsPath);
  const file = join(cacheDir, `${key}.json`);
  const hit = await readFile(file, 'utf8').then((text) => JSON.parse(text) as WorkflowBundleWithSourceMap, () => undefined);
  if (hit?.code) return hit;
  const bundle = await build();
  // Best effort: a read-only cache only costs the next process the build.
  await mkdir(cacheDir, { recursive: true })
    .then(() => writeFile(`${file}.${process.pid}.tmp`, JSON.stringify({ code: bundle.code, sourceMap: bundle.sourceMap })))
    .then(() => rename(`${file}.${process.pid}.tmp`, file))
    .then(() => prune(cacheDir))
    .catch(() => undefined);
  return bundle;
}

const KEEP_BUNDLES = 8;

/** Every edit of a workflow makes a new ~2 MB entry: keep only the most recent few. */
async function prune(cacheDir: string): Promise<void> {
  const names = (await readdir(cacheDir)).filter((n) => n.endsWith('.json'));
  const dated = await Promise.all(names.map(async (n) => ({ path: join(cacheDir, n), mtime: (await stat(join(cacheDir, n))).mtimeMs })));
  dated.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(dated.slice(KEEP_BUNDLES).map((entry) => rm(entry.path, { force: true })));
}

async function bundleKey(workflowsPath: string): Promise<string> {
  const workflowsDir = dirname(workflowsPath);
  const root = dirname(workflowsDir);
  const hash = createHash('sha256').update(`sdk ${sdkVersion}\nentry ${relative(root, workflowsPath)}\n`);
  const files = [
    ...(await filesUnder(workflowsDir)),
    ...(await filesUnder(join(root, 'common'))),
    // next to workflows/ under tsx, one level up from dist/ when compiled
    join(root, 'package-lock.json'),
    join(dirname(root), 'package-lock.json'),
  ];
  for (const file of files) {
    const content = await readFile(file).catch(() => undefined);
    // The lockfile is absent next to dist/; its absence is part of the key.
    hash.update(`${relative(root, file)}\0${content ? createHash('sha256').update(content).digest('hex') : 'absent'}\n`);
  }
  return hash.digest('hex').slice(0, 32);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}
