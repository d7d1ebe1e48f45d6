// Codec key files for the payload codec tests: fresh random AES-256 keys, written to a temporary file.
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeysFileContent = { activeKeyId: string; keys: Record<string, string> };

export const newKey = (): string => randomBytes(32).toString('base64');

export async function writeKeysFile(content: KeysFileContent): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lke-codec-keys-'));
  const path = join(dir, 'codec-keys.json');
  await writeFile(path, JSON.stringify(content), { mode: 0o600 });
  return path;
}
