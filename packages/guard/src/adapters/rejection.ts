import { type GuardError, errorBody } from '../errors.js';

/** Status, headers and JSON body of the response that an adapter sends for a rejection. */
export interface Rejection {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function rejectionFor(error: GuardError): Rejection {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (error.wwwAuthenticate !== undefined) headers['www-authenticate'] = error.wwwAuthenticate;
  return { status: error.status, headers, body: JSON.stringify(errorBody(error)) };
}

/** Drops the query string, for adapters that have no route template to report. */
export function pathWithoutQuery(url: string | undefined): string {
  if (!url) return '/';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}
