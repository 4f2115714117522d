import assert from 'node:assert/strict';
import type { HttpResult } from './server.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Checks that `field` appears in `text` as a whole name, not as part of a longer word. */
export function namesField(text: string, field: string): boolean {
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])${escaped}($|[^A-Za-z0-9_])`).test(text);
}

/** Asserts an RFC 9457 problem response with the given status, code and field. */
export function assertProblem(result: HttpResult, status: number, code: string, field?: string): void {
  assert.equal(result.status, status, result.text);
  assert.equal(result.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
  assert.equal(result.body.code, code);
  assert.equal(result.body.status, status);
  assert.equal(result.body.type, `urn:tessera:error:${code}`);
  assert.equal(typeof result.body.title, 'string');
  assert.equal(typeof result.body.detail, 'string');
  assert.equal(result.body.field, field);
  if (field !== undefined) assert.ok(namesField(result.body.detail, field), `detail "${result.body.detail}" does not name ${field}`);
}
