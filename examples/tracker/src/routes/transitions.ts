import type { FastifyInstance } from 'fastify';
import { PERMISSION_MESSAGES } from '../access.js';
import { principalOf } from '../guard-hooks.js';
import { JiraError } from '../jira-errors.js';
import { statusJson } from '../jira-json.js';
import { type RouteContext, rejectUnknownKeys, requireJsonObject } from '../route-context.js';
import type { Status } from '../store.js';
import { findVisibleIssue } from './lookup.js';

/** The workflow: every status can move to every other, with the transition ids of Jira's simplified workflow. */
const TRANSITIONS: { id: string; name: string; to: Status }[] = [
  { id: '11', name: 'To Do', to: 'Open' },
  { id: '21', name: 'In Progress', to: 'In Progress' },
  { id: '31', name: 'Done', to: 'Done' },
];

type IssueParams = { Params: { issueIdOrKey: string } };

export function registerTransitionRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get<IssueParams>('/rest/api/2/issue/:issueIdOrKey/transitions', { config: { scope: 'read:issue' } }, async (request) => {
    const { issue } = findVisibleIssue(context, request, request.params.issueIdOrKey);
    const available = TRANSITIONS.filter((transition) => transition.to !== issue.status);
    return {
      expand: 'transitions',
      transitions: available.map((transition) => ({ id: transition.id, name: transition.name, to: statusJson(context.baseUrl(), transition.to) })),
    };
  });

  app.post<IssueParams>('/rest/api/2/issue/:issueIdOrKey/transitions', { config: { scope: 'write:issue' } }, async (request, reply) => {
    const body = requireJsonObject(request.body);
    rejectUnknownKeys(body, ['transition']);

    const { issue, project } = findVisibleIssue(context, request, request.params.issueIdOrKey);
    context.access.requireDeveloper(principalOf(request), project, PERMISSION_MESSAGES.transitionIssue);

    const requested = body.transition as { id?: unknown } | undefined;
    const id = typeof requested === 'object' && requested !== null ? requested.id : undefined;
    if (id === undefined || id === null || id === '') throw JiraError.badRequest('The transition id is missing; send {"transition": {"id": "..."}} with an id from GET .../transitions.');
    const transition = TRANSITIONS.find((candidate) => candidate.id === String(id) && candidate.to !== issue.status);
    if (!transition) throw JiraError.badRequest(`Transition id '${String(id).slice(0, 50)}' is not valid for this issue.`);

    context.store.setStatus(issue, transition.to);
    return reply.code(204).send();
  });
}
