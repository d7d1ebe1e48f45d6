// A control's decision: whether a human's request applies now, and if not, why. One decision
// function per control serves its Update validator (which refuses with the reason) and, where a
// control is also sent as a Signal, the Signal handler (which ignores a refused request).

export type Decision = { ok: true } | { ok: false; reason: string };

export const ALLOWED: Decision = { ok: true };

export const refused = (reason: string): Decision => ({ ok: false, reason });

/** The Update validator's side: a refused request fails the Update with the reason. */
export function enforce(decision: Decision): void {
  if (!decision.ok) throw new Error(decision.reason);
}
