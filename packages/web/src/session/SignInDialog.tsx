import type { Session } from '../api/types';
import { Dialog } from '../components/Dialog';
import { OidcSignIn } from './OidcSignIn';
import { SignInForm } from './SignInForm';

/**
 * Asks the admin to sign in again when the session expires, over the current page, so that
 * whatever was typed there stays for the next try.
 */
export function SignInDialog({ onSignedIn, onCancel }: { onSignedIn: (session: Session) => void; onCancel: () => void }) {
  return (
    <Dialog title="Your session has ended" onClose={onCancel}>
      <p>Sign in again to continue. What you typed on this page is kept; submit it again after signing in.</p>
      {/* Admins without a local password have only this way back. */}
      <OidcSignIn error={null} next={window.location.pathname + window.location.search} note="This leaves the page, so what you typed here is lost." />
      <SignInForm onSignedIn={onSignedIn} idPrefix="session-expired" />
    </Dialog>
  );
}
