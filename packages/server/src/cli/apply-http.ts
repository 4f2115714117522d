/**
 * A small client of the admin API for `tessera apply`: it signs in with a password, sends the
 * session cookie and CSRF token, and retries requests that are safe to repeat.
 */

export interface ApiResult {
  status: number;
  body: any;
  replayed: boolean;
}

/** A request that reached the server and got an error response; `problem` is its RFC 9457 body. */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    readonly problem: { code?: string; detail?: string; field?: string },
    readonly request: string,
  ) {
    super(`${request} failed with ${status}${problem.code ? ` ${problem.code}` : ''}: ${problem.detail ?? 'no details'}`);
  }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

const RETRY_DELAYS_MS = [500, 1000, 2000];

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class AdminApiClient {
  private cookie = '';
  private csrfToken = '';

  constructor(private readonly baseUrl: string) {}

  async signIn(username: string, password: string): Promise<void> {
    const response = await this.send('POST', '/session', { username, password }, {});
    if (response.status !== 200) throw await this.errorOf(response, 'POST /api/v1/session');

    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    this.csrfToken = ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  /** Ends the session; a failure only leaves the session to expire by itself. */
  async signOut(): Promise<void> {
    try {
      await this.send('DELETE', '/session', undefined, {});
    } catch {
      // The session expires after 12 hours anyway.
    }
  }

  /**
   * Sends a request and returns its 2xx result, or throws ApiError. GET, PUT and DELETE, and a
   * POST with an idempotency key, are retried after a network error, a 503 or a 409
   * idempotency_key_in_use, since repeating them cannot create anything twice.
   */
  async request(method: string, path: string, body?: unknown, options: { idempotencyKey?: string } = {}): Promise<ApiResult> {
    const repeatable = method !== 'POST' || options.idempotencyKey !== undefined;
    const headers: Record<string, string> = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
    const label = `${method} /api/v1${path}`;

    for (let attempt = 0; ; attempt += 1) {
      const canRetry = repeatable && attempt < RETRY_DELAYS_MS.length;
      let response: Response;
      try {
        response = await this.send(method, path, body, headers);
      } catch (error) {
        if (!canRetry) throw error;
        await pause(RETRY_DELAYS_MS[attempt]);
        continue;
      }

      if (response.status >= 200 && response.status < 300) {
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : undefined, replayed: response.headers.get('idempotency-replayed') === 'true' };
      }
      const error = await this.errorOf(response, label);
      if (canRetry && (response.status === 503 || error.problem.code === 'idempotency_key_in_use')) {
        await pause(RETRY_DELAYS_MS[attempt]);
        continue;
      }
      throw error;
    }
  }

  private async send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers: {
          ...(this.cookie ? { cookie: this.cookie, 'x-csrf-token': this.csrfToken } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ConnectionError(`cannot reach the Tessera server at ${this.baseUrl} (${reason}); check --server or TESSERA_URL.`, { cause: error });
    }
  }

  private async errorOf(response: Response, label: string): Promise<ApiError> {
    const text = await response.text();
    let problem: ApiError['problem'] = {};
    try {
      problem = JSON.parse(text);
    } catch {
      problem = { detail: text.slice(0, 200) };
    }
    return new ApiError(response.status, problem, label);
  }
}
