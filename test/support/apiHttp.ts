// Request headers and the one error-format assertion the API tests share.
import assert from 'node:assert/strict';
import { bearer, TOKENS } from './apiFakes.js';

export const operator = bearer(TOKENS.operator);
export const viewer = bearer(TOKENS.viewer);
export const json = { 'content-type': 'application/json' };

/** Asserts the API's error body: `{error: {code, message, field?}}`, no stack and no internals. */
export function assertError(res: { statusCode: number; json(): unknown; body: string }, status: number, code: string, field?: string) {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json() as { error: { code: string; message: string; field?: string } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.doesNotMatch(body.error.message, /\bat .+:\d+:\d+|node_modules|FST_/, 'no stack or internals');
  for (const key of Object.keys(body.error)) assert.ok(['code', 'message', 'field'].includes(key), key);
  if (field !== undefined) assert.equal(body.error.field, field, body.error.message);
  return body.error;
}
