// Finds a system Chromium for the real-browser tests. playwright-core drives it and never downloads
// a browser of its own (no install script), so `npm ci` stays offline-friendly; .ci/run installs
// Debian's `chromium` package where it is missing.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import which from 'which';

/** environment variable naming a Chromium or Chrome binary to use instead of the one found */
export const CHROMIUM_ENV = 'LKE_ROTATOR_CHROMIUM';

const KNOWN_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const NAMES_ON_PATH = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export const CHROMIUM_MISSING =
  `NO CHROMIUM: the real-browser test of Temporal Web did not run. Install Debian's chromium package ` +
  `(\`apt-get install -y chromium\`; .ci/run does this) or set ${CHROMIUM_ENV} to a Chromium or Chrome binary.`;

const isExecutable = (path: string) => access(path, constants.X_OK).then(() => true, () => false);

/** The Chromium to drive, or undefined when none is installed. A set but wrong CHROMIUM_ENV is an error. */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const explicit = env[CHROMIUM_ENV];
  if (explicit) {
    if (!(await isExecutable(explicit))) throw new Error(`${CHROMIUM_ENV} is set to ${explicit}, which is not an executable file`);
    return explicit;
  }
  for (const path of KNOWN_PATHS) if (await isExecutable(path)) return path;
  for (const name of NAMES_ON_PATH) {
    const onPath = await which(name, { nothrow: true, path: env.PATH ?? '' });
    if (onPath) return onPath;
  }
  return undefined;
}
