// The world outside the rotator, as a human or LKE itself changes it: a regenerate by hand (Linode's
// guide, over the Linode API), a user's own service account with a legacy token Secret (over the
// cluster's Kubernetes API, with the kubeconfig LKE serves now), faults in LKE's answers, how slowly
// LKE moves through the credential window, and the checks the invariants need: does this kubeconfig
// work against the cluster?
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KUBE_SYSTEM } from '../../common/lke.js';
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../../common/names.js';
import type { Simulator } from '../../sim/index.js';
import type { Fault, LkeBehaviour } from './scenario.js';

/** GET kubeconfig as linode-cli would; null while LKE answers 503 (or any error) */
export async function servedKubeconfig(sim: Simulator, clusterId: number): Promise<string | null> {
  const res = await fetch(`${sim.linodeApiUrl}/v4/lke/clusters/${clusterId}/kubeconfig`, {
    headers: { authorization: `Bearer ${sim.linodeToken}` },
  }).catch(() => null);
  if (!res?.ok) return null;
  const body = (await res.json()) as { kubeconfig: string };
  return Buffer.from(body.kubeconfig, 'base64').toString('utf8');
}

/** true when the kubeconfig lists nodes through the real Kubernetes client */
export async function kubeconfigWorks(kubeconfigYaml: string): Promise<boolean> {
  try {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml);
    await kc.makeApiClient(CoreV1Api).listNode({ limit: 1 });
    return true;
  } catch {
    return false;
  }
}

/**
 * `linode-cli lke regenerate <id> --kubeconfig=true --servicetoken=true`. Whether it took effect is
 * read from the simulator's audit log (an injected fault may eat the answer, or the request).
 */
export async function regenerateByHand(sim: Simulator, clusterId: number): Promise<{ applied: boolean; status: string }> {
  const query = { clusterId, method: 'POST', path: /\/regenerate$/, applied: true };
  const before = sim.audit.count(query);
  const status = await fetch(`${sim.linodeApiUrl}/v4/lke/clusters/${clusterId}/regenerate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.linodeToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kubeconfig: true, servicetoken: true }),
  }).then((r) => String(r.status), (e: Error) => `error ${e.message}`);
  return { applied: sim.audit.count(query) > before, status };
}

let userAccounts = 0;

/** A ServiceAccount of the user's and its legacy token Secret in kube-system, with the kubeconfig LKE serves now. */
export async function createUserTokenSecret(sim: Simulator, clusterId: number): Promise<string> {
  const yaml = await servedKubeconfig(sim, clusterId);
  if (!yaml) return 'not created: LKE serves no kubeconfig right now';
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  const core = kc.makeApiClient(CoreV1Api);
  const name = `ci-deployer-${++userAccounts}`;
  try {
    await core.createNamespacedServiceAccount({ namespace: KUBE_SYSTEM, body: { metadata: { name } } });
    await core.createNamespacedSecret({
      namespace: KUBE_SYSTEM,
      body: {
        metadata: { name: `${name}-token`, annotations: { [SERVICE_ACCOUNT_NAME_ANNOTATION]: name } },
        type: SERVICE_ACCOUNT_TOKEN_TYPE,
      },
    });
    return `created ${name}-token`;
  } catch (err) {
    return `not created: ${(err as { code?: number }).code ?? (err as Error).message}`;
  }
}

/** Injects a fault for this cluster; returns what undoes it (only the stall needs undoing). */
export function injectFault(sim: Simulator, clusterId: number, f: Fault): () => void {
  switch (f.fault) {
    case 'regenerateLostAnswer':
      sim.faults.add({ api: 'linode', clusterId, method: 'POST', path: '/regenerate', kind: 'sideEffectThenFail', count: 1, outcome: f.outcome });
      return () => undefined;
    case 'deleteLostAnswer':
      sim.faults.add({ api: 'kube', clusterId, method: 'DELETE', path: '/secrets/', kind: 'sideEffectThenFail', count: 1, outcome: f.outcome });
      return () => undefined;
    case 'kubeconfigUnavailable':
      sim.faults.add({ api: 'linode', clusterId, method: 'GET', path: '/kubeconfig', kind: 'failNext', count: f.count, status: 503 });
      return () => undefined;
    case 'kubeconfigStall': {
      sim.state.setKubeconfigNeverReady(clusterId, true);
      let undone = false;
      const undo = () => {
        if (undone) return;
        undone = true;
        clearTimeout(timer);
        sim.state.setKubeconfigNeverReady(clusterId, false);
      };
      const timer = setTimeout(undo, f.ms);
      return undo;
    }
  }
}

/**
 * Makes LKE as slow as the case says for these clusters (see LkeBehaviour); returns what undoes it.
 * The kubeconfig delays are the simulator's (one set for all clusters: cases run one at a time); the
 * rest are per-cluster latency faults. The Node reads slow down only after a regenerate, so the
 * snapshot keeps its pace and Verifying, which reads Nodes, takes longer.
 */
export function applyLkeBehaviour(sim: Simulator, clusterIds: number[], lke: LkeBehaviour): () => void {
  const delays = sim.state.delays;
  const saved = { kubeconfigReadyMs: delays.kubeconfigReadyMs, staleKubeconfigMs: delays.staleKubeconfigMs };
  const simulated = (realMs: number) => Math.round(realMs / sim.clock.timeScale);
  delays.kubeconfigReadyMs = simulated(lke.kubeconfigReadyMs);
  delays.staleKubeconfigMs = simulated(lke.staleKubeconfigMs);
  const removers: (() => void)[] = [];
  const regenerated = new Set<number>();
  for (const clusterId of clusterIds) {
    removers.push(
      sim.faults.add({ api: 'kube', clusterId, method: 'DELETE', path: '/secrets/', kind: 'latency', ms: lke.deleteLatencyMs }),
      sim.faults.add({ api: 'linode', clusterId, method: 'POST', path: '/regenerate', kind: 'latency', ms: lke.regenerateLatencyMs }),
    );
    if (lke.regenerateAnswerLost !== null) {
      removers.push(sim.faults.add({ api: 'linode', clusterId, method: 'POST', path: '/regenerate', kind: 'sideEffectThenFail', count: 1, outcome: lke.regenerateAnswerLost }));
    }
  }
  // each regenerate bumps the cluster's kubeconfig generation: a cheap read, unlike the audit log
  const watcher = setInterval(() => {
    for (const clusterId of clusterIds) {
      if (regenerated.has(clusterId) || !sim.state.cluster(clusterId)?.kubeconfigGeneration) continue;
      regenerated.add(clusterId);
      removers.push(sim.faults.add({ api: 'kube', clusterId, method: 'GET', path: '/nodes', kind: 'latency', ms: lke.nodesLatencyMs }));
    }
  }, 20);
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    clearInterval(watcher);
    for (const remove of removers) remove();
    Object.assign(delays, saved);
  };
}
