import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { OidcSettings } from '../api/types';
import { Notice } from '../components/Notice';
import { rememberSignIn } from './session-hint';

/** Explains each `oidc_error` code that the OIDC callback redirects with; docs/errors.md lists them. */
function oidcErrorMessage(code: string, provider: string): string {
  switch (code) {
    case 'access_denied':
      return `Sign-in at ${provider} was cancelled or refused. Try again, or sign in with a local password.`;
    case 'provider_error':
      return `Sign-in at ${provider} failed because its response did not pass Tessera's checks. Try again; if it fails again, an admin finds the reason in the audit log.`;
    case 'provider_unavailable':
      return `${provider} could not be reached. Try again later, or sign in with a local password.`;
    case 'state_invalid':
      return 'The sign-in took longer than 10 minutes, or was started again in another tab. Start it again.';
    case 'no_mapped_group':
      return `You signed in at ${provider}, but your account is in no group that has access to Tessera. Ask an admin to add you to one.`;
    case 'local_admin_exists':
      return `A local admin already has your username, so Tessera does not sign you in as that admin through ${provider}. Ask an admin to rename the local admin or to allow linking.`;
    case 'username_unavailable':
      return `Your ${provider} account has no username that Tessera can use, or another admin already has it. Ask an admin.`;
    default:
      return `Sign-in at ${provider} failed (${code}).`;
  }
}

/** Accepts only a panel path, as the server's OIDC start does, so that the link never leads to a 400 page. */
function panelPath(next: string | null): string | undefined {
  if (!next || !/^\/(?![/\\])/.test(next) || next.startsWith('/api/') || next.startsWith('/sign-in')) return undefined;
  return next;
}

/**
 * Renders "Sign in with <provider>" when the server has OIDC sign-in on, and the reason of a
 * failed OIDC sign-in from the `oidc_error` query parameter. `note` appears under the button.
 */
export function OidcSignIn({ error, next, note }: { error: string | null; next: string | null; note?: string }) {
  const [settings, setSettings] = useState<OidcSettings>();

  useEffect(() => {
    const controller = new AbortController();
    api
      .get<OidcSettings>('/session/oidc', controller.signal)
      // Without the settings the page offers the password form alone, which always works.
      .then(setSettings, () => setSettings({ enabled: false }));
    return () => controller.abort();
  }, []);

  const provider = settings?.enabled ? settings.displayName : 'the identity provider';
  const path = panelPath(next);
  const href = settings?.enabled ? `${settings.startUrl}${path ? `?next=${encodeURIComponent(path)}` : ''}` : undefined;

  return (
    <>
      {error ? <Notice kind="error">{oidcErrorMessage(error, provider)}</Notice> : null}
      {href ? (
        <div className="oidc-sign-in">
          {/* The flag lets the panel check the session that the callback opens when the browser returns. */}
          <a className="button button-primary button-wide" href={href} onClick={rememberSignIn}>
            Sign in with {provider}
          </a>
          {note ? <p className="field-hint">{note}</p> : null}
          <p className="sign-in-divider">or, as a local admin, with a password</p>
        </div>
      ) : null}
    </>
  );
}
