import { OAuthError } from './errors.js';

/**
 * Parses an application/x-www-form-urlencoded body strictly: a parameter that appears twice
 * is an error instead of silently taking one of the values (RFC 6749 §3.2).
 */
export function parseStrictForm(body: string, repeatable: ReadonlySet<string> = new Set()): Map<string, string[]> {
  const params = new Map<string, string[]>();

  for (const [name, value] of new URLSearchParams(body)) {
    const values = params.get(name);
    if (values && !repeatable.has(name)) {
      throw new OAuthError('invalid_request', `The parameter "${name}" appears more than once; send it once.`, 'repeated_parameter');
    }
    if (values) values.push(value);
    else params.set(name, [value]);
  }

  return params;
}

/** Returns the single value of a parameter, treating an empty value as absent (RFC 6749 §3.1). */
export function single(params: Map<string, string[]>, name: string): string | undefined {
  const value = params.get(name)?.[0];
  return value === '' ? undefined : value;
}
