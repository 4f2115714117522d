import type { FastifyRequest } from 'fastify';
import type { ProjectAccess } from './access.js';
import { JiraError } from './jira-errors.js';
import type { TrackerStore } from './store.js';

/** Dependencies that every route handler receives. */
export interface RouteContext {
  store: TrackerStore;
  access: ProjectAccess;
  /** The tracker's public base URL without a trailing slash, for `self` links. */
  baseUrl(): string;
}

/** Default and maximum page size of lists. Jira clamps a larger maxResults the same way, without an error. */
export const DEFAULT_MAX_RESULTS = 50;
export const MAX_RESULTS = 100;

export interface Paging {
  startAt: number;
  maxResults: number;
}

type Query = Record<string, string | string[] | undefined>;

/** Returns a query parameter's value; a parameter given twice is a 400, never a silent pick. */
export function queryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Query)[name];
  if (Array.isArray(value)) throw JiraError.badRequest(`The query parameter '${name}' is given more than once; give it once.`);
  return value;
}

export function parseInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'number' ? value : /^-?[0-9]{1,9}$/.test(String(value)) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 0) throw JiraError.badRequest(`The value '${String(value).slice(0, 50)}' is not a valid non-negative integer for the parameter '${name}'.`);
  return number;
}

/** Reads startAt and maxResults from the query string or, for POST /search, from the body. */
export function parsePaging(source: { startAt?: unknown; maxResults?: unknown }): Paging {
  return {
    startAt: parseInteger('startAt', source.startAt, 0),
    maxResults: Math.min(parseInteger('maxResults', source.maxResults, DEFAULT_MAX_RESULTS), MAX_RESULTS),
  };
}

/** Splits Jira's comma-separated list parameters such as `fields=summary,status`. */
export function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function requireJsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw JiraError.badRequest('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** Rejects top-level keys that the tracker does not support, instead of ignoring them. */
export function rejectUnknownKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw JiraError.badRequest(`Unrecognized field "${unknown[0].slice(0, 100)}": this tracker accepts only ${allowed.map((key) => `"${key}"`).join(', ')} here.`);
  }
}
