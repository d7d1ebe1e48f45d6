// `npm run sim` in its own process, for the tests of the standalone simulator: started with the given
// flags, read from its banner, and stopped with Ctrl-C (SIGINT) as a user stops it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from './simLinodeHarness.js';

export interface SimCli {
  /** LINODE_API_URL from the banner */
  url: string;
  /** LINODE_TOKEN from the banner */
  token: string;
  /** everything it printed up to the banner's end */
  banner: string;
  /** sends SIGINT: the exit code (SIGKILL if it does not exit) */
  stop(): Promise<number | null>;
}

export async function startSimCli(args: string[]): Promise<SimCli> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sim/cli.ts', ...args], {
    cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  try {
    let output = '';
    let errors = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => { output += chunk; });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { errors += chunk; });
    await waitFor('the banner', () => output.includes('Ctrl-C') || child.exitCode !== null, 30_000);
    if (!output.includes('Ctrl-C')) assert.fail(`npm run sim exited ${child.exitCode}: ${errors}`);
    return {
      url: /LINODE_API_URL=(\S+)/.exec(output)?.[1] ?? assert.fail(output),
      token: /LINODE_TOKEN=([0-9a-f]{64})/.exec(output)?.[1] ?? assert.fail(output),
      banner: output,
      async stop() {
        const exited = once(child, 'exit');
        child.kill('SIGINT');
        const timer = setTimeout(kill, 10_000);
        try {
          return ((await exited) as [number | null])[0];
        } finally {
          clearTimeout(timer);
        }
      },
    };
  } catch (err) {
    kill();
    throw err;
  }
}
