import type { Session } from '../api/types';
import { PageTitle } from '../components/PageTitle';
import { useLocation } from '../router';
import { OidcSignIn } from './OidcSignIn';
import { SignInForm } from './SignInForm';

/** Renders the full-page admin sign-in. */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const { search } = useLocation();
  return (
    <main className="sign-in-page" id="main">
      <div className="sign-in-card">
        <p className="brand brand-large">Tessera</p>
        <PageTitle documentTitle="Sign in">Sign in</PageTitle>
        <p className="field-hint">Admin sign-in for managing service accounts.</p>
        <OidcSignIn error={search.get('oidc_error')} next={search.get('next')} />
        <SignInForm onSignedIn={onSignedIn} />
      </div>
    </main>
  );
}
