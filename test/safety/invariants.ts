// The four invariants of issue 10, judged from evidence only: Temporal's histories of every run,
// the simulator's audit log of every mutating call, the delivered kubeconfig files tried against
// the cluster, and the worker's output. See docs/design.md, "The credential window" and
// "The controls", for what the workflows promise.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Simulator } from '../../sim/index.js';
import type { Approval, ClusterRotationWorkflowInput } from '../../common/types.js';
import { completedActivities, snapshotsOf, type RunRecord } from './evidence.js';
import type { CaseModel } from './model.js';
import { kubeconfigWorks, servedKubeconfig } from './world.js';

export type InvariantId = 'I1' | 'I2' | 'I3' | 'I4';
export interface Violation { invariant: InvariantId; clusterId: number | null; message: string }

export interface CaseEvidence {
  sim: Simulator;
  kubeconfigDir: string;
  model: CaseModel;
  /** clusterId -> every run of rotate-cluster-<id> */
  clusterRuns: Map<number, RunRecord[]>;
  fleetRuns: RunRecord[];
  issuedTokens: Set<string>;
  /** what the worker processes wrote during the case */
  workerOutput: string;
}

export async function checkInvariants(e: CaseEvidence): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const clusterId of e.model.clusterIds) {
    const runs = e.clusterRuns.get(clusterId) ?? [];
    out.push(...await credentialsWork(e, clusterId, runs));
    out.push(...fourEyes(e.model, clusterId, runs, e.fleetRuns));
    out.push(...withinPlan(e, clusterId, runs));
  }
  out.push(...fleetFourEyes(e.model, e.fleetRuns));
  out.push(...noTokenLeaks(e));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Runs linked by resume into one rotation: the root's requester is the requester for four-eyes.

interface Chain { root: RunRecord; runs: RunRecord[] }

function chains(runs: RunRecord[]): Chain[] {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const rootOf = (run: RunRecord): RunRecord => {
    let current = run;
    for (let hops = 0; hops < runs.length; hops++) {
      const previous = current.input.resume?.previousRunId;
      const parent = previous ? byId.get(previous) : undefined;
      if (!parent) break;
      current = parent;
    }
    return current;
  };
  const grouped = new Map<string, Chain>();
  for (const run of runs) {
    const root = rootOf(run);
    const chain = grouped.get(root.runId) ?? { root, runs: [] };
    chain.runs.push(run);
    grouped.set(root.runId, chain);
  }
  return [...grouped.values()];
}

const requesterOf = (chain: Chain): string => chain.root.input.requestedBy;

/** approvals that took effect in a run: accepted approve Updates whose handler returned an approval */
function approvalsTakenIn(run: RunRecord): Approval[] {
  return run.updates
    .filter((u) => u.name === 'approve' && u.outcome === 'completed')
    .map((u) => (u.result?.approval as Approval | undefined) ?? { gate: 'beforeDelete', by: String(u.arg?.by), at: '' });
}

const gateOn = (input: ClusterRotationWorkflowInput, gate: Approval['gate']): boolean =>
  gate === 'beforeDelete' ? input.approvals?.beforeDelete !== false
    : input.recycle?.mode === 'rolling' && input.approvals?.beforeRecycle !== false;

const started = (run: RunRecord, type: string): boolean => run.activities.some((a) => a.type === type);

// ---------------------------------------------------------------------------------------------
// (I1) a working admin kubeconfig delivered, or the original credentials never touched

async function credentialsWork(e: CaseEvidence, clusterId: number, runs: RunRecord[]): Promise<Violation[]> {
  const deletes = e.sim.audit.count({ clusterId, method: 'DELETE', path: /\/secrets\//, applied: true });
  const byHand = e.model.outsideRegenerates.get(clusterId) ?? [];
  const regenerates = e.sim.audit.count({ clusterId, method: 'POST', path: /\/regenerate$/, applied: true }) - byHand.length;
  const delivered = await deliveredKubeconfig(e.kubeconfigDir, clusterId);
  if (delivered && await kubeconfigWorks(delivered.yaml)) return [];
  // LKE's current kubeconfig, for the cases where a human regenerated and so holds it themselves
  const current = async () => { const yaml = await servedKubeconfig(e.sim, clusterId); return yaml !== null && kubeconfigWorks(yaml); };
  if (delivered && byHand.some((at) => at > delivered.mtimeMs) && await current()) return []; // a human took over after delivery
  if (deletes === 0 && regenerates === 0) {
    const original = e.model.originalKubeconfigs.get(clusterId);
    if (original && await kubeconfigWorks(original)) return [];
    if (byHand.length > 0 && await current()) return [];
  }
  const phases = runs.map((r) => `${r.status}${r.result ? `/${r.result.phase}` : ''}`).join(', ') || 'no run';
  return [{
    invariant: 'I1', clusterId,
    message: `no working admin kubeconfig: ${delivered ? 'the delivered one is refused' : 'none delivered'}, although the rotator ` +
      `deleted ${deletes} token Secret(s) and regenerated ${regenerates} time(s) (runs: ${phases})`,
  }];
}

async function deliveredKubeconfig(dir: string, clusterId: number): Promise<{ yaml: string; mtimeMs: number } | null> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(`lke-${clusterId}-`) && n.endsWith('.kubeconfig.yaml'));
  if (names.length === 0) return null;
  const file = join(dir, names[0]);
  return { yaml: await readFile(file, 'utf8'), mtimeMs: (await stat(file)).mtimeMs };
}

// ---------------------------------------------------------------------------------------------
// (I2) no approval by the requester took effect; no gate passed without one unless switched off

function fourEyes(model: CaseModel, clusterId: number, runs: RunRecord[], fleetRuns: RunRecord[]): Violation[] {
  const out: Violation[] = [];
  const fleetRequester = fleetRuns[0]?.input.requestedBy;
  for (const chain of chains(runs)) {
    const requester = requesterOf(chain);
    for (const run of chain.runs) {
      const taken = [...approvalsTakenIn(run), ...(run.result?.finalStatus?.approvals ?? [])];
      for (const a of taken) {
        if (a.by === requester || (run.input.fleetRotationId && a.by === fleetRequester)) {
          out.push({ invariant: 'I2', clusterId, message: `${a.gate} approved by ${a.by}, who requested the rotation (run ${short(run)})` });
        }
      }
      const carried = run.input.resume?.approvals ?? [];
      const valid = (gate: Approval['gate']) => [...approvalsTakenIn(run), ...carried].some((a) => a.gate === gate && a.by !== requester);
      const checks: [Approval['gate'], string][] = [['beforeDelete', 'deleteTokenSecrets'], ['beforeRecycle', 'recycleNode']];
      for (const [gate, destructive] of checks) {
        if (!started(run, destructive)) continue;
        if (!gateOn(run.input, gate)) {
          const note = `cluster ${clusterId}: ${gate} gate switched off in the input of run ${short(run)} (requested by ${run.input.requestedBy})`;
          if (!model.gatesDisabled.includes(note)) model.gatesDisabled.push(note);
          continue;
        }
        if (!valid(gate)) {
          out.push({ invariant: 'I2', clusterId, message: `${destructive} ran past the ${gate} gate without an approval by anyone but ${requester} (run ${short(run)})` });
        }
      }
    }
  }
  return dedupe(out);
}

function fleetFourEyes(model: CaseModel, fleetRuns: RunRecord[]): Violation[] {
  const out: Violation[] = [];
  const requester = fleetRuns[0]?.input.requestedBy;
  for (const run of fleetRuns) {
    for (const u of run.updates) {
      if (u.name === 'approve' && u.outcome === 'completed' && u.arg?.by === requester) {
        out.push({ invariant: 'I2', clusterId: null, message: `the fleet's canary gate approved by ${requester}, who requested the fleet (run ${short(run)})` });
      }
    }
  }
  const s = model.scenario;
  if (fleetRuns.length && (s.fleet?.canary === 0 || s.fleet?.canaryApproval === false)) {
    model.gatesDisabled.push(`fleet: canary ${s.fleet.canary}, canary gate ${s.fleet.canaryApproval ? 'on' : 'off'} (requested by ${requester})`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (I3) destructive calls within the plan

function withinPlan(e: CaseEvidence, clusterId: number, runs: RunRecord[]): Violation[] {
  const out: Violation[] = [];
  const audit = e.sim.audit;
  const byHand = (e.model.outsideRegenerates.get(clusterId) ?? []).length;
  const rotatorRegenerates = audit.count({ clusterId, method: 'POST', path: /\/regenerate$/, applied: true }) - byHand;
  // Each regenerate activity a run scheduled may send one POST over all its attempts (a retry looks
  // first: docs/design.md, "The steps of one rotation"), whether it completed, failed or was cut off.
  const steps = runs.reduce((n, run) => n + run.activities.filter((a) => a.type === 'regenerateCredentials').length, 0);
  if (rotatorRegenerates > steps) {
    out.push({ invariant: 'I3', clusterId, message: `${rotatorRegenerates} regenerate(s) reached LKE, but the runs account for ${steps} regenerate step(s)` });
  }
  for (const chain of chains(runs)) {
    const completed = chain.runs.reduce((n, r) => n + completedActivities(r, 'regenerateCredentials').length, 0);
    const rollForwards = chain.runs.filter((r) => r.compensated).length;
    if (completed > 1 + rollForwards) {
      out.push({ invariant: 'I3', clusterId, message: `one rotation (root run ${short(chain.root)}) regenerated ${completed} times; ${rollForwards} roll-forward(s) explain ${rollForwards} more than the first` });
    }
  }
  const recycles = new Map<string, number>();
  for (const entry of audit.list({ clusterId, method: 'POST', path: /\/nodes\/[^/]+\/recycle$/, applied: true })) {
    const nodeId = entry.path.split('/').at(-2) ?? '';
    recycles.set(nodeId, (recycles.get(nodeId) ?? 0) + 1);
  }
  const rotations = chains(runs).length;
  for (const [nodeId, count] of recycles) {
    if (count > rotations) out.push({ invariant: 'I3', clusterId, message: `node ${nodeId} recycled ${count} times by ${rotations} rotation(s)` });
  }
  const approvedPlan = new Set<string>();
  for (const chain of chains(runs)) {
    const approved = chain.runs.some((r) => !gateOn(r.input, 'beforeDelete') || approvalsTakenIn(r).some((a) => a.gate === 'beforeDelete') ||
      (r.input.resume?.approvals ?? []).some((a) => a.gate === 'beforeDelete'));
    if (!approved) continue;
    for (const run of chain.runs) for (const snap of snapshotsOf(run)) for (const s of snap.tokenSecrets) approvedPlan.add(`${s.namespace}/${s.name}`);
  }
  for (const entry of audit.list({ clusterId, method: 'DELETE', path: /\/secrets\//, applied: true })) {
    const parts = entry.path.split('/');
    const ref = `${parts.at(-3)}/${parts.at(-1)}`;
    if (!approvedPlan.has(ref)) out.push({ invariant: 'I3', clusterId, message: `Secret ${ref} deleted, but no approved plan lists it` });
  }
  return dedupe(out);
}

// ---------------------------------------------------------------------------------------------
// (I4) no token in any history or in the worker's output

function noTokenLeaks(e: CaseEvidence): Violation[] {
  const out: Violation[] = [];
  const runs = [...[...e.clusterRuns.values()].flat(), ...e.fleetRuns];
  for (const token of e.issuedTokens) {
    const where = runs.find((r) => r.text.includes(token));
    if (where) out.push({ invariant: 'I4', clusterId: null, message: `a token the simulator issued is in the history of ${where.workflowId} run ${short(where)}` });
    else if (e.workerOutput.includes(token)) out.push({ invariant: 'I4', clusterId: null, message: 'a token the simulator issued is in the worker\'s output' });
  }
  return dedupe(out);
}

const short = (run: RunRecord): string => run.runId.slice(0, 8);

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => !seen.has(v.message) && seen.add(v.message));
}
