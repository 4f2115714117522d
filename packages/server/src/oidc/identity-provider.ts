import * as client from 'openid-client';
import type { Clock } from '../clock.js';
import type { OidcConfig } from './config.js';

/** How long discovered provider metadata is reused before it is read again. */
const METADATA_LIFETIME_MS = 60 * 60 * 1000;
const REQUEST_TIMEOUT_SECONDS = 10;

/** The identity provider could not be reached, or its metadata is invalid. */
export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
}

/** The claims Tessera reads from one successful authorization code exchange. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  /** The ID token's claims, completed from the UserInfo endpoint when the ID token lacks the groups or username claim. */
  claims: Record<string, unknown>;
}

function hasClaim(claims: Record<string, unknown>, path: string): boolean {
  return readClaim(claims, path) !== undefined;
}

/** Reads a claim by name, or by a dotted path such as `realm_access.roles` when no claim has the whole name. */
export function readClaim(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];

  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The OpenID Connect relying party: builds authorization URLs and completes the authorization
 * code grant with openid-client, which checks state, PKCE, the ID token signature against the
 * provider's JWKS, and its iss, aud, exp and nonce.
 */
export class IdentityProvider {
  private discovered?: { configuration: client.Configuration; at: number };
  private discovering?: Promise<client.Configuration>;

  constructor(
    readonly config: OidcConfig,
    private readonly clock: Clock,
  ) {}

  /** Reads the provider's metadata on first use and every hour after; a failed read is retried at the next sign-in. */
  private async configuration(): Promise<client.Configuration> {
    if (this.discovered && this.clock.now() - this.discovered.at < METADATA_LIFETIME_MS) return this.discovered.configuration;

    this.discovering ??= this.discover().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private async discover(): Promise<client.Configuration> {
    const issuer = new URL(this.config.issuer);
    // Config validation allows plain http only for loopback issuers.
    const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
    try {
      const configuration = await client.discovery(issuer, this.config.clientId, undefined, client.ClientSecretBasic(this.config.clientSecret), {
        execute,
        timeout: REQUEST_TIMEOUT_SECONDS,
      });
      this.discovered = { configuration, at: this.clock.now() };
      return configuration;
    } catch (error) {
      throw new ProviderUnavailableError(`reading the metadata of ${this.config.issuer} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Returns the URL that sends the browser to the provider, with PKCE S256, state and nonce. */
  async authorizationUrl(redirectUri: string, values: { state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const configuration = await this.configuration();
    return client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: this.config.scopes.join(' '),
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(values.codeVerifier),
      code_challenge_method: 'S256',
      state: values.state,
      nonce: values.nonce,
    });
  }

  /**
   * Exchanges the code in the callback URL for tokens and returns the verified identity.
   * Throws openid-client's errors when the response or the ID token fails a check.
   */
  async completeSignIn(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<VerifiedIdentity> {
    const configuration = await this.configuration();
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      pkceCodeVerifier: expected.codeVerifier,
      idTokenExpected: true,
    });
    const idToken = tokens.claims()!;
    let claims: Record<string, unknown> = { ...idToken };

    // Many providers put profile and group claims only in the UserInfo response when the code flow is used.
    const lacksClaims = !hasClaim(claims, this.config.groupsClaim) || !hasClaim(claims, this.config.usernameClaim);
    if (lacksClaims && configuration.serverMetadata().userinfo_endpoint) {
      const userInfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
      claims = { ...userInfo, ...claims };
    }
    return { issuer: idToken.iss, subject: idToken.sub, claims };
  }
}
