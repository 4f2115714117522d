import type { Problem } from '../api/types';

/** Renders a loading line that screen readers announce politely. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** Renders a failed load with the server's explanation and a button to try again. */
export function LoadError({ problem, retry }: { problem: Problem; retry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert">
      <p>{problem.detail}</p>
      {retry ? (
        <button type="button" className="button button-small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
