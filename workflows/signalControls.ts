// The human controls as Signals, beside their Updates (docs/design.md, "The controls"). Temporal
// keeps Signal and Update handlers in separate tables, so one name can be both: `approve` is an
// Update for the API (a synchronous answer) and a Signal for Temporal Web's "Send a Signal" and
// `temporal workflow signal`. Both paths call the same decision and the same effect, so they cannot
// drift; a Signal cannot answer, so a refused one is recorded (status, timeline, current details)
// instead of being dropped.
import { patched, setHandler, type SignalDefinition } from '@temporalio/workflow';
import type { UpdateName } from '../common/names.js';
import type { SignalRefusal } from '../common/types.js';
import { isIdentity } from '../common/identity.js';
import type { Decision } from './decision.js';
import { SIGNAL_CONTROLS } from './clusterRotation/patches.js';

export interface SignalControl<I> {
  /** the Update validator's decision */
  decide(input: I | undefined): Decision;
  /** the Update handler's effect; its answer is dropped, a wait for the run to act is kept */
  accept(input: I): unknown;
}

/** `by` of a Signal's input, whatever the sender put there. */
function senderOf(input: unknown): string | null {
  const by = typeof input === 'object' && input !== null ? (input as { by?: unknown }).by : undefined;
  return isIdentity(by) ? by : null;
}

export function installSignalControl<I>(
  signal: SignalDefinition<[I?]>,
  control: SignalControl<I>,
  refuse: (refusal: SignalRefusal) => void,
  description: string,
): void {
  setHandler(signal, async (input?: I) => {
    // Runs recorded before the controls were Signals had no handler: such a Signal did nothing, and
    // replays so. Asked only when a control Signal arrives, so other runs carry no marker.
    if (!patched(SIGNAL_CONTROLS)) return;
    const decision = control.decide(input);
    if (!decision.ok) {
      refuse({ at: new Date().toISOString(), signal: signal.name as UpdateName, by: senderOf(input), reason: decision.reason });
      return;
    }
    await control.accept(input as I);
  }, { description });
}
