import { type IncomingMessage, type Server, createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { closeServer, listenOnLoopback } from './support.js';

export interface MockResponse {
  status: number;
  body: unknown;
}

export interface RecordedRequest {
  url: URL;
  authorization: string | undefined;
  body: any;
}

/**
 * A stand-in issuer on 127.0.0.1 with its own signing key, for the failure modes that a real
 * Tessera cannot be made to show on demand: an unreachable or malformed revocation feed, and
 * a usage endpoint that fails. Tests set `feed` and `usage` to choose the responses.
 */
export class MockIssuer {
  baseUrl = '';
  readonly audience = 'https://tracker.example.com';
  readonly kid = 'mock-key-1';
  readonly feedRequests: RecordedRequest[] = [];
  readonly usageRequests: RecordedRequest[] = [];
  feed: (request: RecordedRequest) => MockResponse = () => ({ status: 200, body: { items: [], nextCursor: '0' } });
  usage: (request: RecordedRequest) => MockResponse = (request) => ({ status: 202, body: { accepted: request.body.events.length, rejected: 0 } });
  /** Overrides the issuer named in the metadata, to test a mismatch. */
  metadataIssuer: string | undefined;
  /** HTTP status of the JWKS endpoint; anything but 200 returns an error body. */
  jwksStatus = 200;
  jwksRequests = 0;
  private readonly server: Server;
  private readonly privateKeys = new Map<string, CryptoKey>();
  /** Published public keys by kid, in the order they were added. */
  private readonly publicJwks = new Map<string, JWK>();

  private constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
  }

  static async start(): Promise<MockIssuer> {
    const issuer = new MockIssuer();
    await issuer.addKey(issuer.kid);
    issuer.baseUrl = await listenOnLoopback(issuer.server);
    return issuer;
  }

  /** Generates a key pair and publishes its public key under `kid`. */
  async addKey(kid: string): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    this.privateKeys.set(kid, privateKey);
    this.publicJwks.set(kid, { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' });
  }

  /** Removes a key from the JWKS; tokens signed with it can still be made. */
  unpublishKey(kid: string): void {
    this.publicJwks.delete(kid);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** Signs an access token as Tessera would, with claims to override. */
  sign(overrides: Record<string, unknown> = {}, kid = this.kid): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.baseUrl,
      sub: `account-${randomUUID()}`,
      aud: this.audience,
      client_id: 'tsc_mock',
      scope: 'READ',
      jti: randomUUID(),
      iat: now,
      exp: now + 3600,
      credential_id: `credential-${randomUUID()}`,
      instance: 'tracker',
      resources: { project: '*' },
      generation: 0,
      ...overrides,
    };
    const privateKey = this.privateKeys.get(kid);
    if (!privateKey) throw new Error(`the mock issuer has no key ${kid}`);
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);
  }

  private async handle(req: IncomingMessage): Promise<MockResponse> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const recorded: RecordedRequest = { url, authorization: req.headers.authorization, body: text ? JSON.parse(text) : undefined };

    switch (url.pathname) {
      case '/.well-known/oauth-authorization-server':
        return { status: 200, body: { issuer: this.metadataIssuer ?? this.baseUrl, jwks_uri: `${this.baseUrl}/oauth/jwks` } };
      case '/oauth/jwks':
        this.jwksRequests += 1;
        if (this.jwksStatus !== 200) return { status: this.jwksStatus, body: { error: 'server_error' } };
        return { status: 200, body: { keys: [...this.publicJwks.values()] } };
      case '/guard/v1/revocations':
        this.feedRequests.push(recorded);
        return this.feed(recorded);
      case '/guard/v1/usage':
        this.usageRequests.push(recorded);
        return this.usage(recorded);
      default:
        return { status: 404, body: { error: 'not_found' } };
    }
  }
}
