import type { FastifyInstance } from 'fastify';
import { principalOf } from '../guard-hooks.js';
import { projectJson, projectSummaryJson } from '../jira-json.js';
import type { RouteContext } from '../route-context.js';
import { findVisibleProject } from './lookup.js';

export function registerProjectRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get('/rest/api/2/project', { config: { scope: 'read:project' } }, async (request) => {
    const projects = context.access.visibleProjects(principalOf(request), context.store);
    return projects.map((project) => projectSummaryJson(context.baseUrl(), project));
  });

  app.get<{ Params: { projectIdOrKey: string } }>('/rest/api/2/project/:projectIdOrKey', { config: { scope: 'read:project' } }, async (request) => {
    const project = findVisibleProject(context, request, request.params.projectIdOrKey);
    return projectJson(context.baseUrl(), project);
  });
}
