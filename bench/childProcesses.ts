// The processes a bench runs beside itself, as a deployment would: the simulator standalone
// (sim/cli.ts) and product workers (worker/main.ts), each `node --import tsx <entry>` so that the pid
// is the Node process whose memory is read. Whatever way the bench ends (a normal stop, an error,
// Ctrl-C, a kill -9), none of them outlives it: each is killed on exit and on a signal, and a watchdog
// shell kills it if the bench dies without running any handler.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startOrphanWatchdog } from '../dev/processGuard.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** the last output kept per process, for the error when it dies */
const TAIL_CHARS = 4_000;

export interface BenchChild {
  name: string;
  pid: number;
  /** its last output (stdout and stderr), to explain an early exit */
  tail(): string;
  exited(): boolean;
  /** the process's memory now and at its peak (VmRSS, VmHWM), in bytes; null once it is gone */
  memory(): { rss: number; peakRss: number } | null;
  /** `signal`, then SIGKILL after `graceMs`; resolves when it is gone */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let handlersInstalled = false;

function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      // a listener takes away Node's default of dying on the signal; the dev server's guard (if
      // installed) ends the process too, after its grace period
      process.exitCode = 130;
      setTimeout(() => process.exit(), 2_500).unref();
    });
  }
}

/** `node --import tsx <entry> ...args` from the project's root, with exactly `env`. */
export function spawnNode(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv): BenchChild {
  installHandlers();
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${entry}`);
  const pid = child.pid;
  running.add(child);
  const stopWatchdog = startOrphanWatchdog(pid);
  child.once('exit', () => { running.delete(child); stopWatchdog(); });
  let output = '';
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString('utf8')).slice(-TAIL_CHARS); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    pid,
    tail: () => output,
    exited,
    memory: () => (exited() ? null : processMemory(pid)),
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (exited()) return;
      const gone = once(child, 'exit');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await gone;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Resolves once `child` has printed what `ready` finds in its output; fails if it exits or takes longer than `timeoutMs`. */
export async function waitForOutput<T>(child: BenchChild, ready: (output: string) => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = ready(child.tail());
    if (found !== undefined) return found;
    if (child.exited()) throw new Error(`${child.name} exited before it was ready:\n${child.tail()}`);
    if (Date.now() > deadline) throw new Error(`${child.name} was not ready after ${timeoutMs} ms:\n${child.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** VmRSS and VmHWM (the peak) of a Linux process, in bytes. */
export function processMemory(pid: number): { rss: number; peakRss: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null; // gone, or not Linux
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}
