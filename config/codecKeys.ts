// The payload codec's keys (LKE_ROTATOR_CODEC_KEYS_FILE): a JSON file of AES-256 keys by id and the
// id of the one that encrypts. Rotating keys is adding a new id, making it active, and keeping the
// old ones as long as any history encrypted with them is kept (every known key decrypts).
// Errors name the file and the problem, never key material.
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { ConfigError } from './config.js';

/** A key id travels in each payload's metadata: short, printable, no secret in it. */
const KEY_ID = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const KEY_BYTES = 32;

const KeysFileSchema = Type.Object({
  activeKeyId: Type.String({ pattern: KEY_ID }),
  /** key id -> base64 of 32 random bytes (e.g. `openssl rand -base64 32`) */
  keys: Type.Record(Type.String({ pattern: KEY_ID }), Type.String({ minLength: 1 }), { minProperties: 1 }),
}, { additionalProperties: false });

const keysFileCheck = Compile(KeysFileSchema);

export interface CodecKeys {
  /** the id new payloads are encrypted with */
  activeKeyId: string;
  /** every id that can decrypt, the active one included */
  keys: ReadonlyMap<string, Buffer>;
}

export function parseCodecKeys(content: unknown, source = 'codec keys'): CodecKeys {
  if (!keysFileCheck.Check(content)) {
    const first = [...keysFileCheck.Errors(content)][0];
    const where = first?.instancePath ? ` at ${first.instancePath}` : '';
    throw new ConfigError(`${source}: expected {"activeKeyId": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}}${where}: ${first?.message ?? 'invalid'}`);
  }
  const keys = new Map<string, Buffer>();
  for (const [id, encoded] of Object.entries(content.keys)) {
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64') !== encoded.replace(/\s+/g, '')) {
      throw new ConfigError(`${source}: key '${id}' must be the base64 of exactly ${KEY_BYTES} bytes (openssl rand -base64 32)`);
    }
    keys.set(id, key);
  }
  if (!keys.has(content.activeKeyId)) {
    throw new ConfigError(`${source}: activeKeyId '${content.activeKeyId}' is not one of the keys (${[...keys.keys()].join(', ')})`);
  }
  return { activeKeyId: content.activeKeyId, keys };
}

export function loadCodecKeys(path: string): CodecKeys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`codec keys: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message can quote the file's content, which holds keys.
    throw new ConfigError(`codec keys: ${path} is not valid JSON`);
  }
  return parseCodecKeys(parsed, `codec keys in ${path}`);
}
