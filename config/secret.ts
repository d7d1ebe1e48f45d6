// The configuration's error, and the wrapper that keeps credentials out of logs: shared by config.ts
// and temporalProfile.ts (a file of their own so that neither imports the other's importer).
import { inspect } from 'node:util';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A credential that prints as [redacted] in logs, JSON and util.inspect. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
