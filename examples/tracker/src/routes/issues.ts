import type { FastifyInstance } from 'fastify';
import { PERMISSION_MESSAGES, authorOf } from '../access.js';
import { principalOf } from '../guard-hooks.js';
import { parseIssueUpdate, parseNewIssueFields } from '../issue-fields.js';
import { JiraError } from '../jira-errors.js';
import { issueJson, selectFields } from '../jira-json.js';
import { type RouteContext, parseList, queryValue, rejectUnknownKeys, requireJsonObject } from '../route-context.js';
import { findVisibleIssue } from './lookup.js';

type IssueParams = { Params: { issueIdOrKey: string } };

function hasErrors(errors: Record<string, string>): boolean {
  return Object.keys(errors).length > 0;
}

export function registerIssueRoutes(app: FastifyInstance, context: RouteContext): void {
  // Jira has no issue list at this path, so it returns 405. Lists come from /search.
  app.get('/rest/api/2/issue', async (_request, reply) => {
    reply.header('allow', 'POST');
    throw new JiraError(405, ['GET is not allowed on /rest/api/2/issue: POST creates an issue, and GET /rest/api/2/search?jql=... lists issues.']);
  });

  app.post('/rest/api/2/issue', { config: { scope: 'write:issue' } }, async (request, reply) => {
    const body = requireJsonObject(request.body);
    rejectUnknownKeys(body, ['fields', 'update']);
    if (body.update !== undefined && (typeof body.update !== 'object' || body.update === null || Object.keys(body.update).length > 0)) {
      throw JiraError.badRequest('update operations are not supported when creating an issue; give the values in fields.');
    }

    const principal = principalOf(request);
    const { values, errors } = parseNewIssueFields(body.fields);
    const project = values.projectRef === undefined ? undefined : context.store.findProject(values.projectRef);
    if (project) request.usageResource = { type: 'project', id: project.key };
    // A project outside the token's grant or the tracker's roles gets the same error as an unknown project.
    if (!project || !context.access.canSee(principal, project)) {
      errors.project ??= 'Specify a valid project ID or key';
      throw JiraError.invalidFields(errors);
    }

    context.access.requireDeveloper(principal, project, PERMISSION_MESSAGES.createIssue);
    if (hasErrors(errors)) throw JiraError.invalidFields(errors);

    const issue = context.store.createIssue({
      projectKey: project.key,
      summary: values.summary,
      description: values.description,
      issueType: values.issueType,
      priority: values.priority,
      labels: values.labels,
      reporter: authorOf(principal),
    });
    reply.code(201);
    return { id: issue.id, key: issue.key, self: `${context.baseUrl()}/rest/api/2/issue/${issue.id}` };
  });

  app.get<IssueParams>('/rest/api/2/issue/:issueIdOrKey', { config: { scope: 'read:issue' } }, async (request) => {
    const { issue, project } = findVisibleIssue(context, request, request.params.issueIdOrKey);
    const fields = selectFields(parseList(queryValue(request, 'fields')), 'all');
    return issueJson(context.baseUrl(), issue, project, fields);
  });

  app.put<IssueParams>('/rest/api/2/issue/:issueIdOrKey', { config: { scope: 'write:issue' } }, async (request, reply) => {
    const body = requireJsonObject(request.body);
    rejectUnknownKeys(body, ['fields', 'update']);

    const principal = principalOf(request);
    const { issue, project } = findVisibleIssue(context, request, request.params.issueIdOrKey);
    context.access.requireDeveloper(principal, project, PERMISSION_MESSAGES.editIssue);

    const { changes, errors } = parseIssueUpdate(body, issue);
    if (hasErrors(errors)) throw JiraError.invalidFields(errors);
    context.store.updateIssue(issue, changes);
    return reply.code(204).send();
  });
}
