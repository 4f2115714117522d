import { CliError, EXIT, exitCodeForStatus } from './errors.js';

/** The CLI's credentials: a service account's client id and secret, or an admin's username and password. */
export type Authentication = { kind: 'client'; clientId: string; clientSecret: string } | { kind: 'password'; username: string; password: string };

interface Problem {
  code?: string;
  error?: string;
  detail?: string;
  error_description?: string;
}

/** Turns a non-2xx response into a CliError whose message is `<code>: <detail>`. */
async function problemError(response: Response): Promise<CliError> {
  const text = await response.text();
  let problem: Problem = {};
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    // The body is not problem details, such as a proxy's HTML error page, so the status code stands in for the code.
  }
  const code = problem.code ?? problem.error ?? `http_${response.status}`;
  const detail = problem.detail ?? problem.error_description ?? (response.statusText || 'no detail');
  return new CliError(exitCodeForStatus(response.status), `${code}: ${detail}`);
}

function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return new CliError(EXIT.failed, `cannot reach ${url} (${reason}); check --server or TESSERA_URL and that the server is running.`, { cause: error });
}

/**
 * A client of the admin API at one server. It authenticates on the first request: with client
 * credentials it requests an access token for the tessera instance, and with a password it
 * opens a session and sends its cookie and CSRF token. The token, cookie and password never
 * leave this object.
 */
export class AdminApiClient {
  private authorization: Record<string, string> | undefined;
  private session = false;

  constructor(
    readonly server: string,
    private readonly authentication: Authentication,
  ) {}

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      throw unreachable(this.server, error);
    }
  }

  /** Requests an access token for the admin API's audience, which is <issuer>/api/v1 of the server's metadata. */
  private async requestToken(clientId: string, clientSecret: string): Promise<Record<string, string>> {
    const metadataResponse = await this.fetch(`${this.server}/.well-known/oauth-authorization-server`, {});
    if (!metadataResponse.ok) throw await problemError(metadataResponse);
    const { issuer } = (await metadataResponse.json()) as { issuer: string };

    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const response = await this.fetch(`${this.server}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${issuer}/api/v1` }).toString(),
    });
    if (!response.ok) {
      const error = await problemError(response);
      // Every refused token request is an authentication failure to the caller, including
      // invalid_target, which means the account has no grant on the tessera instance.
      throw new CliError(response.status >= 500 ? EXIT.failed : EXIT.auth, `token request failed: ${error.message}`);
    }
    const body = (await response.json()) as { access_token: string };
    return { authorization: `Bearer ${body.access_token}` };
  }

  private async signIn(username: string, password: string): Promise<Record<string, string>> {
    const response = await this.fetch(`${this.server}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!response.ok) throw await problemError(response);

    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    this.session = true;
    return { cookie, 'x-csrf-token': csrfToken };
  }

  private async authenticate(): Promise<Record<string, string>> {
    if (this.authorization) return this.authorization;
    const auth = this.authentication;
    this.authorization = auth.kind === 'client' ? await this.requestToken(auth.clientId, auth.clientSecret) : await this.signIn(auth.username, auth.password);
    return this.authorization;
  }

  /** Sends a request and returns the raw response, after turning a problem response into a CliError. */
  async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers = { ...(await this.authenticate()), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
    const response = await this.fetch(`${this.server}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw await problemError(response);
    return response;
  }

  /** Sends a request and parses the JSON response, or returns undefined for an empty body such as a 204. */
  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T = any>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** Ends the session the client opened, so that password sign-ins leave no live session behind. */
  async close(): Promise<void> {
    if (!this.session || !this.authorization) return;
    this.session = false;
    await this.fetch(`${this.server}/api/v1/session`, { method: 'DELETE', headers: this.authorization }).catch(() => undefined);
  }
}
