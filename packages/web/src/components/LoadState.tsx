import type { Problem } from '../api/types';

/** Renders a loading line that screen readers announce politely. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

/**
 * Renders a failed load with the server's explanation and a button to try again. A 403 gets no
 * button, because trying again with the same role fails the same way.
 */
export function LoadError({ problem, retry }: { problem: Problem; retry?: () => void }) {
  const forbidden = problem.code === 'forbidden';
  return (
    <div className="notice notice-error" role="alert">
      {forbidden ? <p className="notice-title">Your role does not allow this.</p> : null}
      <p>{problem.detail}</p>
      {retry && !forbidden ? (
        <button type="button" className="button button-small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
