import { RequestError } from '../accounts/errors.js';
import { keySourceUrlProblem } from '../oauth/remote-keys.js';
import type { FederationRow } from '../storage/tables.js';

/**
 * Federated identities: trust rules under which a service account accepts a token from an
 * outside workload identity issuer (a CI system, a Kubernetes cluster, a cloud) in place of
 * a secret. A rule names the issuer, the audience the token must carry, its subject (exact,
 * or a pattern) and optionally further claims with exact values.
 */

export interface FederationInput {
  issuer: string;
  jwksUrl?: string;
  subject?: string;
  subjectPattern?: string;
  audience: string;
  claims?: Record<string, unknown>;
}

export interface FederationRule {
  issuer: string;
  jwksUrl: string | null;
  subject: string | null;
  subjectPattern: string | null;
  audience: string;
  claims: Record<string, string>;
}

const MAX_CLAIMS = 20;
/** Claims that the rule's own fields or the token checks cover; a rule cannot pin them otherwise. */
const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);
const CONTROL = /[\x00-\x1f\x7f]/;

function urlField(value: string, field: string, allowInsecure: boolean, what: string): void {
  const problem = keySourceUrlProblem(value, allowInsecure);
  if (problem) throw new RequestError('validation_failed', `${field} ${problem}; give the ${what}.`, field);
}

function plainText(value: string, field: string): void {
  if (CONTROL.test(value)) throw new RequestError('validation_failed', `${field} must not contain control characters.`, field);
}

/**
 * Checks a rule an admin submits and returns it in stored form. Throws RequestError naming
 * the field and the fix.
 */
export function validateFederation(input: FederationInput, allowInsecure: boolean): FederationRule {
  urlField(input.issuer, 'issuer', allowInsecure, 'issuer URL exactly as the tokens carry it in "iss", such as https://token.actions.githubusercontent.com');
  if (new URL(input.issuer).search) throw new RequestError('validation_failed', 'issuer must not contain a query; give the issuer URL exactly as the tokens carry it in "iss".', 'issuer');
  if (input.jwksUrl !== undefined) urlField(input.jwksUrl, 'jwksUrl', allowInsecure, 'URL of the issuer\'s JWKS, or leave jwksUrl out to discover it');

  if ((input.subject === undefined) === (input.subjectPattern === undefined)) {
    throw new RequestError('validation_failed', 'Send exactly one of subject (the exact "sub" of the tokens) and subjectPattern (a pattern with *).', input.subject === undefined ? 'subject' : 'subjectPattern');
  }
  if (input.subject !== undefined) plainText(input.subject, 'subject');
  if (input.subjectPattern !== undefined) {
    plainText(input.subjectPattern, 'subjectPattern');
    if (!input.subjectPattern.includes('*')) {
      throw new RequestError('validation_failed', 'subjectPattern has no *, so it matches one subject only; send it as subject instead.', 'subjectPattern');
    }
    if (/^[*:]*$/.test(input.subjectPattern)) {
      throw new RequestError('validation_failed', 'subjectPattern must contain fixed text besides * and :, such as repo:acme/*:ref:refs/heads/main; a rule that matches every subject of an issuer would trust anyone the issuer serves.', 'subjectPattern');
    }
  }
  plainText(input.audience, 'audience');

  const claims: Record<string, string> = {};
  const entries = Object.entries(input.claims ?? {});
  if (entries.length > MAX_CLAIMS) throw new RequestError('validation_failed', `claims lists ${entries.length} claims; at most ${MAX_CLAIMS} are allowed.`, 'claims');
  for (const [name, value] of entries) {
    const field = `claims.${name}`;
    if (name.length === 0 || name.length > 100 || CONTROL.test(name)) throw new RequestError('validation_failed', 'claims names must be 1 to 100 characters without control characters.', 'claims');
    if (RESERVED_CLAIMS.has(name)) {
      throw new RequestError('validation_failed', `${field} cannot be set: "${name}" is checked by the rule's own fields and the token's lifetime; use issuer, subject or audience.`, field);
    }
    if (typeof value !== 'string' || value.length === 0 || value.length > 1000) {
      throw new RequestError('validation_failed', `${field} must be a string of 1 to 1000 characters: the exact value the token's "${name}" claim must have.`, field);
    }
    plainText(value, field);
    claims[name] = value;
  }

  return {
    issuer: input.issuer,
    jwksUrl: input.jwksUrl ?? null,
    subject: input.subject ?? null,
    subjectPattern: input.subjectPattern ?? null,
    audience: input.audience,
    claims,
  };
}

/**
 * Matches a subject against a pattern. The pattern is anchored at both ends; `*` matches any
 * run of characters, including none, other than `:`, so that it stays within one field of a
 * subject such as `repo:acme/app:ref:refs/heads/main`. Every other character, `?` and `[`
 * included, matches only itself.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  // No * crosses a colon, so each colon of the subject meets a colon of the pattern, and the
  // fields between them match one by one.
  const patternFields = pattern.split(':');
  const subjectFields = subject.split(':');
  return patternFields.length === subjectFields.length && patternFields.every((field, index) => globMatches(field, subjectFields[index]));
}

/** Wildcard match where `*` matches any run of characters; greedy with one backtrack point, so linear in practice. */
function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Tells whether two rules accept exactly the same tokens, so that both matching would make every exchange ambiguous. */
export function sameRule(row: FederationRow, rule: FederationRule): boolean {
  return (
    row.issuer === rule.issuer &&
    row.subject === rule.subject &&
    row.subject_pattern === rule.subjectPattern &&
    row.audience === rule.audience &&
    canonicalClaims(JSON.parse(row.claims)) === canonicalClaims(rule.claims)
  );
}

export function canonicalClaims(claims: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(claims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
