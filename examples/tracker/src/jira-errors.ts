/** The error body of the Jira REST API: general messages plus messages per field. */
export interface JiraErrorBody {
  errorMessages: string[];
  errors: Record<string, string>;
}

/**
 * A request that the tracker rejects, sent as Jira sends errors. Route handlers throw it
 * and the error handler of the API turns it into the response.
 */
export class JiraError extends Error {
  readonly status: number;
  readonly errorMessages: string[];
  readonly fieldErrors: Record<string, string>;
  /** Extra response headers, such as WWW-Authenticate for a token that lacks a scope. */
  readonly headers: Record<string, string>;

  constructor(status: number, messages: string[], fieldErrors: Record<string, string> = {}, headers: Record<string, string> = {}) {
    super(messages[0] ?? Object.values(fieldErrors)[0] ?? `HTTP ${status}`);
    this.name = 'JiraError';
    this.status = status;
    this.errorMessages = messages;
    this.fieldErrors = fieldErrors;
    this.headers = headers;
  }

  body(): JiraErrorBody {
    return { errorMessages: this.errorMessages, errors: this.fieldErrors };
  }

  /** Creates a 400 with one message per invalid field, as Jira returns for an invalid issue or comment. */
  static invalidFields(fieldErrors: Record<string, string>): JiraError {
    return new JiraError(400, [], fieldErrors);
  }

  static badRequest(message: string): JiraError {
    return new JiraError(400, [message]);
  }

  static forbidden(message: string): JiraError {
    return new JiraError(403, [message]);
  }

  static notFound(message: string): JiraError {
    return new JiraError(404, [message]);
  }
}

export const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';

export function projectNotFound(idOrKey: string): JiraError {
  const by = /^[0-9]+$/.test(idOrKey) ? 'id' : 'key';
  return JiraError.notFound(`No project could be found with ${by} '${idOrKey.slice(0, 100)}'.`);
}
