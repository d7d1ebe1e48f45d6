// Who is who, for the four-eyes rule and the gate policy: identities are compared trimmed and
// case-insensitive, so "Alice " cannot approve what "alice" requested. Pure: the workflows use it.

/** The form an identity is compared in. */
export const identityKey = (name: string): string => name.trim().toLowerCase();

export function sameIdentity(a: string | undefined | null, b: string | undefined | null): boolean {
  return typeof a === 'string' && typeof b === 'string' && identityKey(a) === identityKey(b);
}

/** A usable identity: a non-blank name. */
export const isIdentity = (name: unknown): name is string => typeof name === 'string' && name.trim().length > 0;
