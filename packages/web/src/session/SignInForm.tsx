import { useState } from 'react';
import { api, problemOf, setCsrfToken } from '../api/client';
import type { Problem, Session } from '../api/types';
import { Notice } from '../components/Notice';
import { TextField } from '../components/TextField';
import { useFormState } from '../components/use-form-state';

/** Explains why a service account cannot sign in, and how it gets tokens instead. */
function ServiceAccountExplanation({ username }: { username: string }) {
  return (
    <div className="notice notice-info" role="alert" id="service-account-explanation">
      <p>
        <strong>“{username}” is a service account, and service accounts have no interactive sign-in.</strong>
      </p>
      <p>A script or integration that uses it gets access tokens from the token endpoint, with the account's client ID and secret:</p>
      <pre className="command-text">
        <code>{`curl -u "CLIENT_ID:SECRET" -d grant_type=client_credentials ${window.location.origin}/oauth/token`}</code>
      </pre>
      <p>To manage service accounts here, sign in with an admin username and password.</p>
    </div>
  );
}

/** Renders the admin sign-in form and calls `onSignedIn` after POST /api/v1/session succeeds. */
export function SignInForm({ onSignedIn, idPrefix = 'sign-in' }: { onSignedIn: (session: Session) => void; idPrefix?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [rejected, setRejected] = useState<{ problem: Problem; username: string }>();
  const form = useFormState({ username: username ? undefined : 'Enter your username.', password: password ? undefined : 'Enter your password.' }, ['username', 'password']);

  const edit = (setter: (value: string) => void, key: string) => (value: string) => {
    setter(value);
    form.touch(key);
  };

  const submit = async () => {
    setRejected(undefined);
    if (!form.beginSubmit()) return;
    setBusy(true);
    try {
      const session = await api.post<Session>('/session', { username, password });
      setCsrfToken(session.csrfToken);
      onSignedIn(session);
    } catch (error) {
      setRejected({ problem: problemOf(error), username });
      setBusy(false);
    }
  };

  const code = rejected?.problem?.code;
  return (
    <form
      ref={form.formRef}
      noValidate
      className="form sign-in-form"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <TextField id={`${idPrefix}-username`} label="Username" autoComplete="username" value={username} error={form.errorFor('username')} onChange={edit(setUsername, 'username')} />
      <TextField id={`${idPrefix}-password`} label="Password" type="password" autoComplete="current-password" value={password} error={form.errorFor('password')} onChange={edit(setPassword, 'password')} />
      {code === 'service_account_sign_in' && rejected ? <ServiceAccountExplanation username={rejected.username} /> : null}
      {rejected && code !== 'service_account_sign_in' ? <Notice kind="error">{code === 'invalid_credentials' ? 'The username or password is wrong.' : rejected.problem.detail}</Notice> : null}
      <button type="submit" className="button button-primary button-wide" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
