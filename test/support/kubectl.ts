// The real kubectl driven against the simulator: whether it is here at all (tests skip with the reason
// when not), and one asynchronous run (the simulator answers from this same process, so never spawnSync).
import { execFile, spawnSync } from 'node:child_process';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const probe = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' });
/** why the kubectl tests cannot run here, or undefined when they can */
export const kubectlMissing = probe.error || probe.status !== 0
  ? `kubectl is not available here (${probe.error?.message ?? probe.stderr.trim()}): the kubectl compatibility tests cannot run`
  : undefined;

export interface KubectlRun { code: number; stdout: string; stderr: string }

export function kubectl(kubeconfig: string, args: string[]): Promise<KubectlRun> {
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
