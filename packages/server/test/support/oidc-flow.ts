/** Cookies per origin, as a browser keeps them, for following the OIDC redirects with fetch. */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(origin, jar);
  }

  header(url: string): string {
    const jar = this.cookies.get(new URL(url).origin);
    return jar ? [...jar].map(([name, value]) => `${name}=${value}`).join('; ') : '';
  }

  get(url: string, name: string): string | undefined {
    return this.cookies.get(new URL(url).origin)?.get(name);
  }

  set(url: string, name: string, value: string): void {
    const origin = new URL(url).origin;
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    jar.set(name, value);
    this.cookies.set(origin, jar);
  }
}

/** Sends one request without following redirects, with the jar's cookies, and stores the cookies it sets. */
export async function step(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const cookie = jar.header(url);
  const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
  jar.store(url, response);
  return response;
}

function location(response: Response, base: string): string {
  const value = response.headers.get('location');
  if (!value) throw new Error(`expected a redirect from ${base}, got ${response.status}`);
  return new URL(value, base).href;
}

/** Follows redirects from `url` until one leads to `stopAt`, and returns that URL. */
export async function followUntil(jar: CookieJar, url: string, stopAt: (url: URL) => boolean, limit = 10): Promise<string> {
  let current = url;
  for (let hop = 0; hop < limit; hop += 1) {
    if (stopAt(new URL(current))) return current;
    const response = await step(jar, current);
    await response.arrayBuffer();
    current = location(response, current);
  }
  throw new Error(`no redirect reached the expected URL within ${limit} hops; last was ${current}`);
}

/**
 * Starts an OIDC sign-in at Tessera and logs in at the test provider's development login form
 * as `login`. Returns the callback URL that the provider redirects back to, not yet visited.
 */
export async function loginAtProvider(jar: CookieJar, tesseraUrl: string, login: string, start = '/api/v1/session/oidc/start'): Promise<string> {
  const tesseraOrigin = new URL(tesseraUrl).origin;
  const atInteraction = await followUntil(jar, `${tesseraUrl}${start}`, (url) => url.pathname.startsWith('/interaction/'));
  const form = await (await step(jar, atInteraction)).text();
  const action = /<form[^>]*action="([^"]+)"/.exec(form)?.[1];
  if (!action) throw new Error(`the provider's login page has no form: ${form.slice(0, 200)}`);

  const submitted = await step(jar, new URL(action, atInteraction).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ prompt: 'login', login, password: 'any-password' }).toString(),
  });
  return followUntil(jar, location(submitted, atInteraction), (url) => url.origin === tesseraOrigin);
}
