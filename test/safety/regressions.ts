// Counterexamples the safety property found, kept as fixed scenarios that test/safety.test.ts
// replays on every run. Paste the "as a regression" JSON of a failure report here, with the
// invariant it broke and why, when it was found.
import type { Scenario } from './scenario.js';

export interface Regression {
  /** what broke, in a few words */
  name: string;
  invariant: 'I1' | 'I2' | 'I3' | 'I4';
  /** why it broke in the code as it was when found */
  why: string;
  scenario: Scenario;
}

export const REGRESSIONS: Regression[] = [];
