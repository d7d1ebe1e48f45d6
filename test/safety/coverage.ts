// Where the actions of a run landed: for each phase, how many cases had an action sent while the
// rotation was in it, and which ops were sent inside the credential window. A search that never
// reached the window would pass while proving nothing about it, so the run reports this at its end
// and the fixed-seed entry asserts the window was exercised.
import { WINDOW_PHASES } from './scenario.js';

/** one action: its op and the phase the rotation was in when it was sent ('none': no run answered) */
export interface Landing { op: string; phase: string }

export class Coverage {
  cases = 0;
  /** cases with at least one action sent inside the credential window */
  windowCases = 0;
  private readonly casesByPhase = new Map<string, number>();
  private readonly windowCasesByOp = new Map<string, number>();

  add(landings: Landing[]): void {
    this.cases++;
    const phases = new Set(landings.map((l) => l.phase));
    for (const phase of phases) this.casesByPhase.set(phase, (this.casesByPhase.get(phase) ?? 0) + 1);
    const inWindow = landings.filter((l) => WINDOW_PHASES.includes(l.phase as never));
    if (inWindow.length) this.windowCases++;
    for (const op of new Set(inWindow.map((l) => l.op))) this.windowCasesByOp.set(op, (this.windowCasesByOp.get(op) ?? 0) + 1);
  }

  /** the histogram, one line per phase (window phases marked), then the ops sent inside the window */
  report(): string[] {
    const width = Math.max(0, ...[...this.casesByPhase.keys()].map((p) => p.length));
    const phases = [...this.casesByPhase.entries()].sort((a, b) => b[1] - a[1]);
    return [
      `actions landed, by phase (cases with at least one action sent in that phase, of ${this.cases}; * = credential window):`,
      ...phases.map(([phase, n]) =>
        `  ${WINDOW_PHASES.includes(phase as never) ? '*' : ' '} ${phase.padEnd(width)} ${String(n).padStart(4)} ${'#'.repeat(n)}`),
      `cases with an action inside the window: ${this.windowCases} of ${this.cases}`,
      `ops sent inside the window (cases): ${[...this.windowCasesByOp.entries()].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ') || 'none'}`,
    ];
  }
}
