/**
 * Client-side copies of the server's input rules, so that forms report mistakes while the
 * admin types. The server checks again, and its response wins.
 */

// No leading or trailing whitespace and no control characters, as the server's display-name pattern.
const DISPLAY_NAME = /^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$/;
const SLUG = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;

export function checkDisplayName(value: string, maxLength: number): string | undefined {
  if (value.length === 0) return 'Enter a name.';
  if (value.length > maxLength) return `Use at most ${maxLength} characters (now ${value.length}).`;
  if (!DISPLAY_NAME.test(value)) return 'Remove the spaces at the start or end, and any control characters.';
  return undefined;
}

export function checkMaxLength(value: string, maxLength: number): string | undefined {
  return value.length > maxLength ? `Use at most ${maxLength} characters (now ${value.length}).` : undefined;
}

export function checkSlug(value: string): string | undefined {
  if (value.length < 2 || value.length > 63) return 'Use 2 to 63 characters.';
  if (!SLUG.test(value)) return 'Use lowercase letters, digits and hyphens, starting and ending with a letter or digit, such as jira-prod.';
  return undefined;
}

export function checkAudience(value: string): string | undefined {
  if (value.trim() === '') return "Enter the product's base URL, such as https://jira.example.com.";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter an absolute URL, such as https://jira.example.com.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'Use an http or https URL.';
  if (url.search || value.includes('?')) return 'Remove the query string (the part from "?").';
  if (url.hash || value.includes('#')) return 'Remove the fragment (the part from "#").';
  if (url.username || url.password) return 'Remove the user name and password from the URL.';
  return undefined;
}

/** Checks an optional whole number in a range; an empty string is accepted. */
export function checkOptionalInteger(value: string, minimum: number, maximum: number, unit: string): string | undefined {
  if (value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim())) return `Enter a whole number of ${unit}.`;
  const number = Number(value);
  if (number < minimum || number > maximum) return `Enter ${minimum} to ${maximum} ${unit}.`;
  return undefined;
}

/** Splits a typed list of resource ids on commas, spaces and line breaks. */
export function parseIdList(value: string): string[] {
  return [...new Set(value.split(/[\s,]+/).filter(Boolean))];
}

/** Checks a required whole number in a range. */
export function checkInteger(value: string, minimum: number, maximum: number, unit: string): string | undefined {
  if (value.trim() === '') return `Enter ${minimum} to ${maximum} ${unit}.`;
  return checkOptionalInteger(value, minimum, maximum, unit);
}

/** Splits a textarea into its non-empty lines, trimmed, such as one CIDR block per line. */
export function parseLines(value: string): string[] {
  return value
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}
