/**
 * Exit codes of the commands that talk to a running server, documented in docs/cli.md.
 * Commands that work on the local database (serve, migrate, audit verify) use 0, 1 and 2 only.
 */
export const EXIT = {
  ok: 0,
  /** The server rejected the request (other than below), failed, or could not be reached. */
  failed: 1,
  /** The command line is wrong: an unknown option, a missing argument, an unreadable file. */
  usage: 2,
  /** Sign-in or the token request failed, or the credentials lack permission (HTTP 401 or 403). */
  auth: 3,
  /** The instance, account, credential or route does not exist (HTTP 404). */
  notFound: 4,
  /** The change conflicts with the current state, such as a taken name (HTTP 409). */
  conflict: 5,
} as const;

/** A failure that ends the command with an exit code and one `error: …` line on stderr. */
export class CliError extends Error {
  override name = 'CliError';

  constructor(
    readonly exitCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}

/** Maps an HTTP status of a problem response to the exit code. */
export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  return EXIT.failed;
}
