// What Temporal Web's current details say to the human at a gate: the exact Signal that answers it
// (name and JSON input, as `temporal workflow signal` takes it and Temporal Web's "Send a Signal"
// form asks for it), and the last control Signal that was refused. Pure: the ledgers use it.
import type { SignalRefusal } from '../common/types.js';

/** Keep the latest refusals only: the status rides along in Query answers and in the final report. */
export const REFUSALS_KEPT = 10;

export const APPROVE_INPUT_EXAMPLE = '{"by":"<your name>"}';
export const REJECT_INPUT_EXAMPLE = '{"by":"<your name>","reason":"<why>"}';

/** The command line that sends a control Signal; the input is shell-quoted as written. */
export function signalCommand(workflowId: string, name: string, inputJson: string): string {
  return `temporal workflow signal --workflow-id ${workflowId} --name ${name} --input '${inputJson}'`;
}

/** Markdown lines: how to approve or reject the gate, and who may not. */
export function gateSignalHelp(workflowId: string, requestedBy: string): string[] {
  return [
    `Requested by **${requestedBy}**, who cannot answer it (four-eyes). To answer, send a Signal ` +
      '(Temporal Web: "Send a Signal", or the Temporal CLI):',
    `- approve: name \`approve\`, input \`${APPROVE_INPUT_EXAMPLE}\``,
    `  \`${signalCommand(workflowId, 'approve', APPROVE_INPUT_EXAMPLE)}\``,
    `- reject: name \`reject\`, input \`${REJECT_INPUT_EXAMPLE}\``,
    `  \`${signalCommand(workflowId, 'reject', REJECT_INPUT_EXAMPLE)}\``,
    'A refused Signal shows here and in the `status` Query, with its reason.',
  ];
}

/** One markdown line for the latest refused Signal, or none. */
export function lastRefusalLine(refusals: readonly SignalRefusal[] | undefined): string[] {
  const last = refusals?.at(-1);
  if (!last) return [];
  return [`**Signal \`${last.signal}\` refused** at ${last.at}${last.by ? ` (by ${last.by})` : ''}: ${last.reason}`];
}

/** The refusals with one more, the oldest dropped past REFUSALS_KEPT. */
export function withRefusal(refusals: readonly SignalRefusal[] | undefined, refusal: SignalRefusal): SignalRefusal[] {
  return [...(refusals ?? []), refusal].slice(-REFUSALS_KEPT);
}
