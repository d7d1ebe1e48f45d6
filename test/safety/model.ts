// What the harness itself did in a case: the facts the invariants need that no workflow records
// (regenerates by hand, the credentials humans held at the start, who switched gates off), and a
// log of every action and how it was answered, printed with a failing case.
import type { Scenario } from './scenario.js';

export interface CaseModel {
  scenario: Scenario;
  clusterIds: number[];
  /** the fleet's name in fleet cases */
  fleetName: string | null;
  /** the kubeconfig LKE served before anything ran: what the cluster's owners held */
  originalKubeconfigs: Map<number, string>;
  /** regenerates done by hand (Date.now() of each that took effect) */
  outsideRegenerates: Map<number, number[]>;
  /** "gates switched off by <who>" notes: allowed today, but recorded (issue 10 makes it a privilege) */
  gatesDisabled: string[];
  /** one line per action and per step of the drive to the end */
  log: string[];
}

export function newModel(scenario: Scenario, clusterIds: number[], fleetName: string | null): CaseModel {
  return {
    scenario, clusterIds, fleetName,
    originalKubeconfigs: new Map(), outsideRegenerates: new Map(clusterIds.map((id) => [id, []])),
    gatesDisabled: [], log: [],
  };
}
