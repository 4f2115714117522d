import type { Problem } from './types';

export const API_BASE = '/api/v1';

/** An error response of the admin API, carrying its RFC 9457 problem details. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}

let csrfToken = '';
let unauthenticatedHandler: (() => void) | undefined;

/** Stores the CSRF token from the sign-in response or GET /session; state-changing requests echo it. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Registers what to do when a response is 401 unauthenticated, because the session is missing or expired. */
export function onUnauthenticated(handler: () => void): void {
  unauthenticatedHandler = handler;
}

function localProblem(code: string, detail: string, status = 0): Problem {
  return { type: `urn:tessera:panel:${code}`, title: detail, status, code, detail };
}

function isProblem(value: unknown): value is Problem {
  const candidate = value as Partial<Problem> | null;
  return typeof candidate?.code === 'string' && typeof candidate.detail === 'string';
}

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const body: unknown = JSON.parse(text);
    if (isProblem(body)) return body;
  } catch {
    // Not JSON, such as a proxy's error page, which the fallback below describes.
  }
  return localProblem('unexpected_response', `The server answered ${response.status} ${response.statusText} without problem details.`, response.status);
}

/**
 * Sends one request to the admin API with the session cookie, and the CSRF token on
 * state-changing methods. Resolves with the parsed JSON body (undefined for 204), and rejects
 * with a ProblemError for any error status or when the server cannot be reached.
 */
export async function apiRequest<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;

  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ProblemError(localProblem('network_error', 'The server could not be reached. Check your connection and try again.'));
  }

  if (!response.ok) {
    const problem = await readProblem(response);
    // A failed sign-in returns 401 invalid_credentials, which is a form error, not an expired session.
    if (problem.code === 'unauthenticated') unauthenticatedHandler?.();
    throw new ProblemError(problem);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Uploads a file's text, such as a CSV export, with its own content type. Resolves and rejects like apiRequest. */
export async function apiUpload<T>(path: string, text: string, contentType: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': contentType, 'x-csrf-token': csrfToken },
      body: text,
      credentials: 'same-origin',
    });
  } catch {
    throw new ProblemError(localProblem('network_error', 'The server could not be reached. Check your connection and try again.'));
  }

  if (!response.ok) {
    const problem = await readProblem(response);
    if (problem.code === 'unauthenticated') unauthenticatedHandler?.();
    throw new ProblemError(problem);
  }
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => apiRequest<T>('GET', path, undefined, signal),
  post: <T>(path: string, body: unknown = {}) => apiRequest<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => apiRequest<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => apiRequest<T>('PUT', path, body),
  delete: <T = void>(path: string) => apiRequest<T>('DELETE', path),
};

/** Builds a query string from the values that are set, for list filters. */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Turns any thrown value into problem details to show. */
export function problemOf(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  return localProblem('panel_error', error instanceof Error ? error.message : String(error));
}
