// Where the CLI finds the API and its token: flags first, then the environment. A token file is
// preferred (LKE_ROTATOR_TOKEN_FILE): a token on the command line shows in `ps` and shell history.
import { readFileSync } from 'node:fs';
import { CliError, type ApiConnection } from './http.js';

export const CLI_ENV = {
  url: 'LKE_ROTATOR_URL',
  tokenFile: 'LKE_ROTATOR_TOKEN_FILE',
  token: 'LKE_ROTATOR_TOKEN',
} as const;

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface ConnectionFlags {
  url?: string;
  tokenFile?: string;
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ApiConnection {
  const url = flags.url ?? env[CLI_ENV.url] ?? DEFAULT_URL;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CliError(`the API URL must be http(s)://host:port, got "${url}"`, 2);
  }
  const tokenFile = flags.tokenFile ?? env[CLI_ENV.tokenFile];
  let token: string | undefined;
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new CliError(`the token file ${tokenFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 2);
    }
    if (!token) throw new CliError(`the token file ${tokenFile} is empty`, 2);
  } else {
    token = env[CLI_ENV.token]?.trim();
  }
  if (!token) {
    throw new CliError(`no API token: pass --token-file, or set ${CLI_ENV.tokenFile} (preferred) or ${CLI_ENV.token}`, 2);
  }
  return { url, token };
}
