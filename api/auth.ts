// Bearer-token authentication and role checks (docs/design.md, 'Fixed names'). The caller's token name is
// the identity recorded on whatever it requests or approves; nothing in a body can override it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { ApiError } from './errors.js';

/**
 * viewer reads; operator starts and steers; approver answers gates (never on its own request);
 * admin may do what an operator may and also switch approval gates off (docs/design.md, "The controls").
 */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that include another's permissions: an admin may do everything an operator may. */
const IMPLIED_BY: Partial<Record<Role, readonly Role[]>> = { operator: ['admin'] };

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' });
const Roles = Type.Array(Type.Enum([...ROLES]), { minItems: 1, uniqueItems: true });

/** One entry of API_TOKENS_FILE: a plaintext token or its sha256 (hex), never both. */
export const ApiTokenSchema = Type.Union([
  Type.Object({ name: Name, token: Type.String({ minLength: 16 }), roles: Roles }, { additionalProperties: false }),
  Type.Object(
    { name: Name, tokenSha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }), roles: Roles },
    { additionalProperties: false },
  ),
]);
export type ApiToken = Static<typeof ApiTokenSchema>;

const tokensFileCheck = Compile(Type.Array(ApiTokenSchema, { minItems: 1 }));

export interface Caller {
  name: string;
  roles: readonly Role[];
}

interface KnownToken extends Caller {
  sha256: Buffer;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Validates the tokens file's content. Errors name the entry and the problem, never a token.
 */
export function parseApiTokens(content: unknown): ApiToken[] {
  if (!tokensFileCheck.Check(content)) {
    const first = [...tokensFileCheck.Errors(content)][0];
    const where = first?.instancePath ? ` at ${first.instancePath}` : '';
    throw new Error(`API tokens: expected a non-empty JSON array of {name, token|tokenSha256, roles}${where}: ${first?.message ?? 'invalid'}`);
  }
  const names = new Set<string>();
  for (const entry of content) {
    if (names.has(entry.name)) throw new Error(`API tokens: the name '${entry.name}' appears twice`);
    names.add(entry.name);
  }
  return content;
}

export async function loadApiTokens(path: string): Promise<ApiToken[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`API tokens: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message can quote the file's content, which holds tokens.
    throw new Error(`API tokens: ${path} is not valid JSON`);
  }
  return parseApiTokens(parsed);
}

export type Authenticator = (authorization: string | undefined) => Caller | null;

/**
 * Every known token is compared, each in constant time, so the time taken says nothing about which
 * token (or how much of one) matched.
 */
export function createAuthenticator(tokens: readonly ApiToken[]): Authenticator {
  const known: KnownToken[] = parseApiTokens([...tokens]).map((t) => ({
    name: t.name,
    roles: t.roles,
    sha256: 'token' in t ? sha256(t.token) : Buffer.from(t.tokenSha256, 'hex'),
  }));
  return (authorization) => {
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(authorization ?? '');
    if (!match) return null;
    const presented = sha256(match[1]);
    let found: KnownToken | null = null;
    for (const candidate of known) {
      if (timingSafeEqual(presented, candidate.sha256) && !found) found = candidate;
    }
    return found ? { name: found.name, roles: found.roles } : null;
  };
}

/** What a route requires. Reading is open to every role: whoever steers a rotation must see it. */
export type Permission = 'read' | Role;

export function hasPermission(caller: Caller, permission: Permission): boolean {
  if (permission === 'read') return caller.roles.length > 0;
  return caller.roles.includes(permission) || (IMPLIED_BY[permission] ?? []).some((role) => caller.roles.includes(role));
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** Required on every authenticated route; a route without it is refused (fail closed). */
    permission?: Permission;
  }
}

/** onRequest hook: runs before the body is parsed, so an anonymous caller learns nothing about input. */
export function authHook(authenticate: Authenticator) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const caller = authenticate(request.headers.authorization);
    if (!caller) {
      void reply.header('www-authenticate', 'Bearer realm="lke-rotator"');
      throw new ApiError('unauthorized', 'a valid bearer token is required');
    }
    request.caller = caller;
    const permission = request.routeOptions.config.permission;
    if (!permission || !hasPermission(caller, permission)) {
      const needed = permission === 'read' ? 'any role' : `the '${permission ?? 'unknown'}' role`;
      throw new ApiError('forbidden', `'${caller.name}' lacks ${needed} for this request`);
    }
  };
}

/** The authenticated caller; only call from routes behind authHook. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new ApiError('unauthorized', 'a valid bearer token is required');
  return request.caller;
}
