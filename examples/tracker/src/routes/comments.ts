import type { FastifyInstance } from 'fastify';
import { PERMISSION_MESSAGES, authorOf } from '../access.js';
import { principalOf } from '../guard-hooks.js';
import { MAX_TEXT_LENGTH } from '../issue-fields.js';
import { JiraError } from '../jira-errors.js';
import { commentJson, commentPageJson } from '../jira-json.js';
import { type RouteContext, parsePaging, queryValue, rejectUnknownKeys, requireJsonObject } from '../route-context.js';
import { findVisibleIssue } from './lookup.js';

type IssueParams = { Params: { issueIdOrKey: string } };

function parseCommentBody(input: unknown): string {
  const body = requireJsonObject(input);
  // Jira restricts a comment to a group or role with `visibility`. The tracker has neither,
  // and storing the comment for everyone would widen who can read it, so it rejects the request.
  if (body.visibility !== undefined) throw JiraError.badRequest('Comment visibility restrictions are not supported by this tracker; send the comment without "visibility".');
  rejectUnknownKeys(body, ['body']);

  if (typeof body.body !== 'string' || body.body.trim() === '') throw JiraError.invalidFields({ comment: 'Comment body can not be empty!' });
  if (body.body.length > MAX_TEXT_LENGTH) throw JiraError.invalidFields({ comment: `The comment is too long: the maximum is ${MAX_TEXT_LENGTH} characters.` });
  return body.body;
}

export function registerCommentRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get<IssueParams>('/rest/api/2/issue/:issueIdOrKey/comment', { config: { scope: 'read:comment' } }, async (request) => {
    const { issue } = findVisibleIssue(context, request, request.params.issueIdOrKey);
    const paging = parsePaging({ startAt: queryValue(request, 'startAt'), maxResults: queryValue(request, 'maxResults') });
    return commentPageJson(context.baseUrl(), issue, paging.startAt, paging.maxResults);
  });

  app.get<{ Params: { issueIdOrKey: string; commentId: string } }>(
    '/rest/api/2/issue/:issueIdOrKey/comment/:commentId',
    { config: { scope: 'read:comment' } },
    async (request) => {
      const { issue } = findVisibleIssue(context, request, request.params.issueIdOrKey);
      const comment = issue.comments.find((candidate) => candidate.id === request.params.commentId);
      if (!comment) throw JiraError.notFound(`Can not find a comment for the id: ${request.params.commentId.slice(0, 50)}.`);
      return commentJson(context.baseUrl(), issue, comment);
    },
  );

  app.post<IssueParams>('/rest/api/2/issue/:issueIdOrKey/comment', { config: { scope: 'write:comment' } }, async (request, reply) => {
    const principal = principalOf(request);
    const { issue, project } = findVisibleIssue(context, request, request.params.issueIdOrKey);
    context.access.requireDeveloper(principal, project, PERMISSION_MESSAGES.addComment);

    const comment = context.store.addComment(issue, authorOf(principal), parseCommentBody(request.body));
    reply.code(201);
    return commentJson(context.baseUrl(), issue, comment);
  });
}
