import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The values an OIDC sign-in must remember between the redirect to the identity provider and
 * the callback. They travel in an encrypted cookie rather than in the database, so that the
 * callback may reach any node behind a load balancer.
 */
export interface SignInState {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Panel path to open after the sign-in. */
  next: string;
  /** Milliseconds since the epoch after which the callback rejects the state. */
  expiresAt: number;
}

export const STATE_COOKIE = 'tessera_oidc';
/** The cookie reaches only the OIDC routes. */
export const STATE_COOKIE_PATH = '/api/v1/session/oidc';
export const STATE_LIFETIME_MS = 10 * 60 * 1000;

// The cookie name is authenticated with the contents, so that the sealed value cannot be replayed in another cookie.
const ASSOCIATED_DATA = Buffer.from(STATE_COOKIE);

/** Encrypts the state with AES-256-GCM into iv, tag and ciphertext in base64url. */
export function sealState(key: Buffer, state: SignInState): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(ASSOCIATED_DATA);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** Decrypts a sealed state; returns undefined when the value was changed, sealed with another key or is malformed. */
export function openState(key: Buffer, sealed: string): SignInState | undefined {
  if (!/^[A-Za-z0-9_-]{40,4096}$/.test(sealed)) return undefined;

  const data = Buffer.from(sealed, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
    decipher.setAAD(ASSOCIATED_DATA);
    decipher.setAuthTag(data.subarray(12, 28));
    const plaintext = Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
    const value = JSON.parse(plaintext) as SignInState;
    const complete = ['state', 'nonce', 'codeVerifier', 'next'].every((field) => typeof value[field as keyof SignInState] === 'string');
    return complete && typeof value.expiresAt === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the Set-Cookie value; `sealed` empty with a max age of 0 deletes the cookie. */
export function stateCookie(sealed: string, maxAgeSeconds: number, secure: boolean): string {
  // Lax, not Strict: the callback arrives as a top-level navigation from the identity provider's site.
  return `${STATE_COOKIE}=${sealed}; Path=${STATE_COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
