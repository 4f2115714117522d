/** The few calls of Tessera's admin API that the demo makes, signed in as the admin. */
export class AdminApi {
  private cookie = '';
  private csrfToken = '';

  constructor(private readonly issuer: string) {}

  async signIn(username: string, password: string): Promise<void> {
    const response = await fetch(`${this.issuer}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = (await response.json().catch(() => ({}))) as { csrfToken?: string; detail?: string };
    if (response.status !== 200 || !body.csrfToken) throw new Error(`signing in to Tessera as ${username} failed: HTTP ${response.status} ${body.detail ?? ''}`);

    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    this.csrfToken = body.csrfToken;
  }

  /** Sends a POST to /api/v1 and returns the JSON body; throws with Tessera's problem detail unless the status is 201. */
  async create<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.issuer}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: this.cookie, 'x-csrf-token': this.csrfToken },
      body: JSON.stringify(body),
    });
    const result = (await response.json().catch(() => ({}))) as T & { detail?: string };
    if (response.status !== 201) throw new Error(`POST /api/v1${path} failed: HTTP ${response.status} ${result.detail ?? ''}`);
    return result;
  }
}

export interface CreatedAccount {
  id: string;
  clientId: string;
  credential: { id: string; clientSecret: string };
}
