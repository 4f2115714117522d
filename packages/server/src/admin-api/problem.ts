import { ADMIN_ERRORS, type AdminErrorCode } from '@tessera/shared';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { isDatabaseUnavailable } from '../storage/database.js';
import { DISPLAY_NAME_PATTERN, SLUG_PATTERN } from './schemas.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: AdminErrorCode;
  detail: string;
  /** Path of the request field at fault, such as `access[0].scopes`. */
  field?: string;
}

export function problemOf(code: AdminErrorCode, detail: string, field?: string): Problem {
  const entry = ADMIN_ERRORS[code];
  return { type: `urn:tessera:error:${code}`, title: entry.title, status: entry.status, code, detail, ...(field ? { field } : {}) };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(problem);
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turns a JSON pointer such as /access/0/scopes into access[0].scopes. */
function fieldPath(pointer: string, child?: string): string {
  const parts = pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let path = '';
  for (const part of parts) {
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else path = path ? `${path}.${part}` : part;
  }
  return path;
}

/** Describes one schema violation in a message that names the field and how to fix it. */
function describeIssue(issue: ValidationIssue, context: string): { field: string; detail: string } {
  const field = fieldPath(issue.instancePath);
  const name = field || context;
  const params = issue.params;

  switch (issue.keyword) {
    case 'required':
      return { field: fieldPath(issue.instancePath, String(params.missingProperty)), detail: `${fieldPath(issue.instancePath, String(params.missingProperty))} is required; add it to the ${context}.` };
    case 'additionalProperties':
      return { field: fieldPath(issue.instancePath, String(params.additionalProperty)), detail: `${fieldPath(issue.instancePath, String(params.additionalProperty))} is not a known field; remove it or check its spelling.` };
    case 'type':
      return { field, detail: `${name} must be ${params.type === 'integer' ? 'a whole number' : `of type ${params.type}`}.` };
    case 'minLength':
      return { field, detail: params.limit === 1 ? `${name} must not be empty.` : `${name} must be at least ${params.limit} characters long.` };
    case 'maxLength':
      return { field, detail: `${name} must be at most ${params.limit} characters long; shorten it.` };
    case 'minimum':
    case 'maximum':
      return { field, detail: `${name} must be ${issue.keyword === 'minimum' ? 'at least' : 'at most'} ${params.limit}.` };
    case 'minItems':
      return { field, detail: `${name} must list at least ${params.limit} item(s).` };
    case 'maxItems':
      return { field, detail: `${name} must list at most ${params.limit} items.` };
    case 'enum':
      return { field, detail: `${name} must be one of: ${(params.allowedValues as unknown[]).join(', ')}.` };
    case 'pattern':
      return { field, detail: `${name} ${PATTERN_HINTS[String(params.pattern)] ?? `does not match the pattern ${params.pattern}`}.` };
    case 'format':
      return { field, detail: `${name} has an invalid format${issue.message ? ` (${issue.message})` : ''}.` };
    case 'anyOf':
      return { field, detail: `${name} must be ${ANY_OF_HINTS[field.split('.').at(-1) ?? ''] ?? 'a list of at most 1000 ids of 1 to 255 characters each, or the string "*" for all'}.` };
    default:
      return { field, detail: `${name} is invalid: ${issue.message ?? issue.keyword}.` };
  }
}

/** Accepted forms of fields that take several, keyed by the field's last name. */
const ANY_OF_HINTS: Record<string, string> = {
  expiresInDays: 'a whole number of days from 1 to 3650, or null for a credential that never expires',
  accessTokenLifetimeSeconds: 'a whole number of seconds from 60 to 86400, or null for the server default',
  reviewDate: 'a date written YYYY-MM-DD, or null for no review date',
  ipAllowlist: 'a list of CIDR blocks such as ["203.0.113.0/24", "2001:db8::/48"], or null to use the policy default',
  defaultIpAllowlist: 'a list of CIDR blocks such as ["10.0.0.0/8"], or null to allow any address',
  rateLimit: 'an object {perMinute, perDay, mode} or null for no limit; perMinute is 1 to 100000, perDay 1 to 100000000, mode "enforce" or "log_only"',
  perMinute: 'a whole number from 1 to 100000, or null',
  perDay: 'a whole number from 1 to 100000000, or null',
  maxLifetimeDays: 'a whole number of days from 1 to 3650, or null for no maximum',
  maxLivePerAccount: 'a whole number from 1 to 100, or null for no maximum',
  blockNoncompliantFrom: 'an RFC 3339 time such as 2027-01-31T00:00:00Z, or null',
  afterDays: 'a whole number of days from 1 to 3650, or null to turn the rule off',
  startFrom: '"now" (only new events, the default), "beginning" (every stored event) or the whole-number seq of the first event to deliver',
  caCertificate: 'a PEM CA certificate (-----BEGIN CERTIFICATE-----…) of at most 65536 characters, or null for the usual public CAs',
  days: 'a whole number of days from 1 to 36500, or null to keep events forever',
};

/** Plain-words descriptions of the patterns the schemas use. */
const PATTERN_HINTS: Record<string, string> = {
  [DISPLAY_NAME_PATTERN]: 'must not start or end with whitespace or contain control characters',
  [SLUG_PATTERN]: 'must be lowercase letters, digits and hyphens, starting and ending with a letter or digit, such as jira-prod',
  '^[0-9]+$': 'must be a whole number',
  '^[0-9]{1,4}$': 'must be a whole number',
  '^\\d{4}-\\d{2}-\\d{2}$': 'must be a date written YYYY-MM-DD',
  '^[\\x21-\\x7e]+$': 'must be printable ASCII without spaces, as RFC 5424 requires of APP-NAME',
};

const CONTEXT_NAMES: Record<string, string> = { body: 'request body', querystring: 'query string', params: 'path' };

/** Maps every error a route can raise to problem details; unexpected errors are logged and become 500. */
export function handleAdminError(error: FastifyError & { validation?: ValidationIssue[]; validationContext?: string }, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof RequestError) return sendProblem(reply, problemOf(error.code, error.message, error.field));

  if (error.validation && error.validation.length > 0) {
    const issue = error.validation.find((candidate) => candidate.keyword === 'anyOf') ?? error.validation[0];
    const { field, detail } = describeIssue(issue, CONTEXT_NAMES[error.validationContext ?? 'body'] ?? 'request');
    return sendProblem(reply, problemOf('validation_failed', detail, field || undefined));
  }

  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, problemOf('body_too_large', 'The request body is larger than 1 MiB; send less data per request.'));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, problemOf('unsupported_media_type', `The Content-Type "${String(request.headers['content-type'] ?? '').slice(0, 100)}" is not accepted; send application/json.`));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, problemOf('invalid_json', 'The request body is empty; send a JSON object.'));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendProblem(reply, problemOf('invalid_json', `The request body is not valid JSON: ${error.message}`));
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'admin API request failed: the database is unreachable');
    reply.header('retry-after', '5');
    return sendProblem(reply, problemOf('database_unavailable', 'The server cannot reach its database; retry after a few seconds.'));
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return sendProblem(reply, problemOf('invalid_json', `The request body is not valid JSON: ${error.message}`));
  }

  request.log.error({ err: error }, 'admin API request failed');
  return sendProblem(reply, problemOf('internal_error', 'An unexpected error occurred; the server log has the details.'));
}
