// Seeded identifiers, so the same seed yields the same cluster (names, uids, tokens) every run.
import { createHash } from 'node:crypto';

/** Kubernetes' generateName alphabet (no vowels, no ambiguous characters) */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789abcdef';

function pick(random: () => number, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export function nameSuffix(random: () => number, length = 5): string {
  return pick(random, NAME_ALPHABET, length);
}

export function uid(random: () => number): string {
  const h = pick(random, HEX, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${h.slice(17, 20)}-${h.slice(20)}`;
}

/** JWT-shaped like a legacy service-account token, but opaque: only equality matters to the simulator */
export function serviceAccountToken(random: () => number): string {
  return `eyJhbGciOiJSUzI1NiIsImtpZCI6Im${pick(random, TOKEN_ALPHABET, 14)}.${pick(random, TOKEN_ALPHABET, 48)}.${pick(random, TOKEN_ALPHABET, 43)}`;
}

/** a short, stable hash of a pod template, like the pod-template-hash label */
export function templateHash(template: unknown): string {
  if (typeof template !== 'object' || template === null) return hashOf(template);
  // templates are replaced on write, never mutated, so the hash can be remembered per object
  let hash = hashes.get(template);
  if (hash === undefined) hashes.set(template, (hash = hashOf(template)));
  return hash;
}

const hashes = new WeakMap<object, string>();

function hashOf(template: unknown): string {
  const digest = createHash('sha1').update(JSON.stringify(template) ?? '').digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += NAME_ALPHABET[digest[i] % NAME_ALPHABET.length];
  return out;
}

/**
 * a uid derived from a key rather than drawn: for objects seeded after the drawn ones (PodDisruptionBudgets),
 * so adding them leaves every later draw, and so every name and token a seed gave before, as it was
 */
export function stableUid(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
