// Where the CLI finds the API and its token: flags first, then the environment. A token file is
// preferred (LKE_ROTATOR_TOKEN_FILE): a token on the command line shows in `ps` and shell history.
import { readFileSync } from 'node:fs';
import { CliError, type ApiConnection } from './http.js';

export const CLI_ENV = {
  url: 'LKE_ROTATOR_URL',
  tokenFile: 'LKE_ROTATOR_TOKEN_FILE',
  token: 'LKE_ROTATOR_TOKEN',
} as const;

/** RFC 6750's token68 is stricter; the API's own tokens are visible ASCII, so allow exactly that. */
const BEARER_TOKEN = /^[\x21-\x7e]+$/;

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface ConnectionFlags {
  url?: string;
  tokenFile?: string;
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ApiConnection {
  const url = flags.url ?? env[CLI_ENV.url] ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`the API URL must be http(s)://host:port, got "${url}"`, 2);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`the API URL must be http(s)://host:port, got "${url}"`, 2);
  }
  // never echo them back: the credentials in a URL are someone's secret
  if (parsed.username || parsed.password) {
    throw new CliError('the API URL must not carry credentials (user:password@); the token comes from --token-file', 2);
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
  // A bearer token is one header value: visible ASCII, no spaces. Anything else (a token file with
  // two lines, say) would make fetch throw a message that quotes the header, token included.
  if (!BEARER_TOKEN.test(token)) {
    throw new CliError(`the API token${tokenFile ? ` in ${tokenFile}` : ''} has characters a bearer token cannot carry (spaces, line breaks, non-ASCII)`, 2);
  }
  return { url, token };
}
