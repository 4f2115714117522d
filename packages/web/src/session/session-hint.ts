// The session cookie is HttpOnly, so the panel cannot see whether one exists. This flag in
// localStorage records that this browser signed in, and the panel calls GET /api/v1/session only
// then. A browser that never signed in goes straight to the sign-in page, without a 401 response.

const KEY = 'tessera.signedIn';

export function rememberSignIn(): void {
  try {
    window.localStorage.setItem(KEY, '1');
  } catch {
    // Storage can be switched off, and then the panel always calls the server.
  }
}

export function forgetSignIn(): void {
  try {
    window.localStorage.removeItem(KEY);
  } catch {
    // As above.
  }
}

/** Returns whether a session may exist, and true when storage is unavailable so that the server decides. */
export function maybeSignedIn(): boolean {
  try {
    return window.localStorage.getItem(KEY) === '1';
  } catch {
    return true;
  }
}
