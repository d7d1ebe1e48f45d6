// Makes sure the Temporal server processes we start die with us.
//
// The SDK spawns the server from its Rust core and kills it in teardown(), but a Node process that
// ends any other way (Ctrl-C, SIGTERM from a test runner, an uncaught exception, SIGKILL) leaves
// the server running: Rust's kill-on-drop never runs at process exit, and the SDK does not expose
// the child's pid. So we find our own children by executable path and kill them synchronously on
// the way out, and a tiny shell watchdog covers the case where Node gets no chance to (SIGKILL).
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const guardedExecutables = new Set<string>();
let handlersInstalled = false;

/** How long other signal handlers get to finish before we end the process. */
const GRACE_AFTER_SIGNAL_MS = 2_000;

/** Pids of this process's children whose executable is `exePath`. */
export function childProcessesRunning(exePath: string): number[] {
  return listChildren(process.pid).filter((child) => child.argv0 === exePath).map((child) => child.pid);
}

/** Kills our children started from a guarded executable, synchronously; returns how many. */
export function killGuardedChildren(): number {
  let killed = 0;
  for (const child of listChildren(process.pid)) {
    if (!guardedExecutables.has(child.argv0)) continue;
    try {
      process.kill(child.pid, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}

/**
 * Registers `exePath` as a server we start: its processes are killed when this process exits, on
 * SIGINT/SIGTERM/SIGHUP, and (via the watchdog) even when this process is killed outright.
 */
export function guardExecutable(exePath: string): void {
  guardedExecutables.add(exePath);
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    killGuardedChildren();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => onSignal(signal));
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Kill the servers at once (SQLite history survives a kill), then give other handlers (a
  // worker's graceful shutdown, the demo's goodbye) a moment before ending the process ourselves:
  // installing a listener took away Node's default of dying on the signal.
  killGuardedChildren();
  process.exitCode = 128 + signalNumber(signal);
  setTimeout(() => process.exit(), GRACE_AFTER_SIGNAL_MS).unref();
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal as 'SIGHUP' | 'SIGINT' | 'SIGTERM'] ?? 1;
}

/**
 * Starts a detached-from-Node shell that kills `pid` once this Node process is gone. Returns a
 * function that stops the watchdog (call it after a normal shutdown).
 */
export function startOrphanWatchdog(pid: number): () => void {
  // $0/$1 keep the pids out of the script text; the command line names no Temporal binary so that
  // `pgrep -f temporal` finds only real servers.
  const watchdog = spawn(
    'sh',
    ['-c', 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; kill -9 "$1" 2>/dev/null', String(process.pid), String(pid)],
    { stdio: 'ignore', detached: true },
  );
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return () => {
    if (watchdog.exitCode === null && watchdog.pid !== undefined) {
      try {
        process.kill(watchdog.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
}

interface ChildProcessInfo { pid: number; argv0: string }

function listChildren(parentPid: number): ChildProcessInfo[] {
  return process.platform === 'linux' ? listChildrenFromProc(parentPid) : listChildrenFromPs(parentPid);
}

function listChildrenFromProc(parentPid: number): ChildProcessInfo[] {
  const children: ChildProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 2 (comm) is parenthesised and may contain spaces: fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      const argv0 = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0];
      children.push({ pid: Number(entry), argv0 });
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

function listChildrenFromPs(parentPid: number): ChildProcessInfo[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return out.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (!match || Number(match[2]) !== parentPid) return [];
    return [{ pid: Number(match[1]), argv0: match[3] }];
  });
}
