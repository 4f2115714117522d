import { Type } from '@sinclair/typebox';
import type { OidcSignInErrorCode } from '@tessera/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { IdentityProvider, ProviderUnavailableError } from '../oidc/identity-provider.js';
import { SignInRejected, provisionAdmin } from '../oidc/provision-admin.js';
import { STATE_COOKIE, STATE_LIFETIME_MS, type SignInState, openState, sealState, stateCookie } from '../oidc/state-cookie.js';
import { readCookie } from './auth.js';
import { NoQuery } from './schemas.js';
import { startSession } from './sessions.js';

export const OIDC_START_PATH = '/api/v1/session/oidc/start';
export const OIDC_CALLBACK_PATH = '/api/v1/session/oidc/callback';

const StartQuery = Type.Object({ next: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

/** Accepts only a panel path on this origin, so that the sign-in cannot send the browser elsewhere. */
function isPanelPath(path: string): boolean {
  return /^\/(?![/\\])/.test(path) && !path.startsWith('/api/') && !/[\x00-\x1f\\]/.test(path);
}

/** Builds the redirect URI registered at the provider from the issuer, which is the URL browsers use. */
function redirectUri(ctx: ServerContext): string {
  return `${ctx.config.issuer}${OIDC_CALLBACK_PATH}`;
}

/** Shortens a value the provider chose and masks its non-printable characters, for the audit log and the server log. */
function printable(value: string | null, max = 200): string {
  return (value ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

/** Names the check that failed, for the audit log, without the response body that openid-client keeps as `cause`. */
function describeFailure(error: unknown): { reason: string; code: OidcSignInErrorCode; detail: string } {
  if (error instanceof ProviderUnavailableError) return { reason: 'provider_unreachable', code: 'provider_unavailable', detail: error.message };
  if (error instanceof client.ResponseBodyError) return { reason: `token_request_failed:${printable(error.error, 60)}`, code: 'provider_error', detail: printable(error.error_description ?? error.message) };
  if (error instanceof client.AuthorizationResponseError) return { reason: `provider_error:${printable(error.error, 60)}`, code: 'provider_error', detail: printable(error.error_description ?? error.message) };
  const networkFailure = error instanceof Error && (error.name === 'TimeoutError' || (error instanceof TypeError && error.message === 'fetch failed'));
  if (networkFailure) return { reason: 'provider_unreachable', code: 'provider_unavailable', detail: `the token or UserInfo request failed: ${error.message}` };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('OAUTH_')) return { reason: 'id_token_invalid', code: 'provider_error', detail: `${code}: ${printable((error as Error).message)}` };
  throw error;
}

/**
 * Registers admin sign-in through an OpenID Connect provider: the authorization code flow
 * with PKCE, state and nonce. The routes are public; the callback opens a session like the
 * password sign-in does.
 */
export async function oidcRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const config = ctx.config.oidc;
  const provider = config ? new IdentityProvider(config, ctx.clock) : undefined;
  const stateKey = ctx.keyMaterial.signInStateKey;
  const secureCookie = () => ctx.config.issuer.startsWith('https:');
  if (config) ctx.logger.info({ issuer: config.issuer, clientId: config.clientId, groups: config.roleMap.size }, 'admin sign-in through OpenID Connect is on');

  app.get('/session/oidc', { schema: { querystring: NoQuery } }, async () => {
    if (!config) return { enabled: false };
    return { enabled: true, displayName: config.displayName, startUrl: OIDC_START_PATH };
  });

  app.get('/session/oidc/start', { schema: { querystring: StartQuery } }, async (request, reply) => {
    if (!provider) {
      throw new RequestError('oidc_not_configured', 'Sign-in through an OpenID Connect provider is off; set TESSERA_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET and _ROLE_MAP to turn it on, or sign in with POST /api/v1/session.');
    }
    const next = (request.query as { next?: string }).next ?? '/';
    if (!isPanelPath(next)) throw new RequestError('validation_failed', 'next must be a panel path that starts with a single /, such as /service-accounts.', 'next');

    const values = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    let authorizationUrl: URL;
    try {
      authorizationUrl = await provider.authorizationUrl(redirectUri(ctx), values);
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError)) throw error;
      request.log.error({ err: { message: error.message }, issuer: provider.config.issuer }, 'starting an OIDC sign-in failed because the identity provider is unavailable');
      return redirectToSignIn(reply, 'provider_unavailable', next);
    }

    const sealed = sealState(stateKey, { ...values, next, expiresAt: ctx.clock.now() + STATE_LIFETIME_MS });
    reply.header('set-cookie', stateCookie(sealed, STATE_LIFETIME_MS / 1000, secureCookie()));
    reply.header('cache-control', 'no-store');
    return reply.redirect(authorizationUrl.href, 303);
  });

  app.get('/session/oidc/callback', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // The state is good for one callback, whatever its outcome. Fastify appends the session cookie after this one.
    reply.header('set-cookie', stateCookie('', 0, secureCookie()));
    if (!provider) throw new RequestError('oidc_not_configured', 'Sign-in through an OpenID Connect provider is off; sign in with POST /api/v1/session.');

    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const sealed = readCookie(request, STATE_COOKIE);
    const saved = sealed ? openState(stateKey, sealed) : undefined;
    const reject = (code: OidcSignInErrorCode, reason: string, details: Record<string, unknown> = {}, adminId?: string) =>
      rejectSignIn(ctx, request, reply, { code, reason, details, adminId, next: saved?.next ?? '/' });

    const stateProblem = checkState(saved, query, ctx.clock.now(), Boolean(sealed));
    if (stateProblem) return reject('state_invalid', stateProblem);

    const providerError = query.get('error');
    if (providerError !== null) {
      const details = { error: printable(providerError, 60), errorDescription: printable(query.get('error_description')) };
      return reject(providerError === 'access_denied' ? 'access_denied' : 'provider_error', `provider_error:${details.error}`, details);
    }

    const callbackUrl = new URL(redirectUri(ctx));
    callbackUrl.search = query.toString();
    let provisioned;
    try {
      const identity = await provider.completeSignIn(callbackUrl, saved!);
      provisioned = await provisionAdmin(ctx, identity, sourceOf(request));
    } catch (error) {
      if (error instanceof SignInRejected) return reject(error.code, error.reason, { ...error.details, message: error.message }, error.adminId);

      const failure = describeFailure(error);
      request.log.warn({ reason: failure.reason, detail: failure.detail }, 'an OIDC sign-in failed at the identity provider');
      return reject(failure.code, failure.reason, { detail: failure.detail });
    }

    await startSession(ctx, reply, provisioned.admin, {
      source: sourceOf(request),
      details: { method: 'oidc', issuer: provider.config.issuer, groups: provisioned.mapped.matchedGroups },
    });
    return reply.redirect(saved!.next, 303);
  });
}

/** Returns the audit reason when the callback's state does not match the cookie, or undefined when it does. */
function checkState(saved: SignInState | undefined, query: URLSearchParams, now: number, hadCookie: boolean): string | undefined {
  if (!saved) return hadCookie ? 'state_cookie_invalid' : 'state_cookie_missing';
  if (saved.expiresAt <= now) return 'state_expired';
  const states = query.getAll('state');
  if (states.length !== 1 || states[0] !== saved.state) return 'state_mismatch';
  return undefined;
}

function redirectToSignIn(reply: FastifyReply, code: OidcSignInErrorCode, next: string) {
  const params = new URLSearchParams({ oidc_error: code });
  if (next !== '/') params.set('next', next);
  return reply.redirect(`/sign-in?${params}`, 303);
}

/** Audits a rejected OIDC sign-in and sends the browser to the sign-in page, which explains the code. */
async function rejectSignIn(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  rejection: { code: OidcSignInErrorCode; reason: string; details: Record<string, unknown>; adminId?: string; next: string },
) {
  request.log.info({ reason: rejection.reason, adminId: rejection.adminId }, 'rejected an OIDC sign-in');
  await ctx.audit.write({
    actor: rejection.adminId ? { type: 'admin', id: rejection.adminId } : { type: 'anonymous' },
    action: 'admin.sign_in',
    source: sourceOf(request),
    outcome: 'failure',
    reason: rejection.reason,
    details: { method: 'oidc', ...rejection.details },
  });
  return redirectToSignIn(reply, rejection.code, rejection.next);
}
