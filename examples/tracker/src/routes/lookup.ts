import type { FastifyRequest } from 'fastify';
import { principalOf } from '../guard-hooks.js';
import { ISSUE_NOT_FOUND, JiraError, projectNotFound } from '../jira-errors.js';
import type { RouteContext } from '../route-context.js';
import type { Issue, Project } from '../store.js';

/**
 * Finds a project the request's token and role may see, and records it for the usage report.
 * A project outside the token's restrictions or the tracker's roles gets the same 404 as one
 * that does not exist.
 */
export function findVisibleProject(context: RouteContext, request: FastifyRequest, idOrKey: string): Project {
  const project = context.store.findProject(idOrKey);
  if (project) request.usageResource = { type: 'project', id: project.key };
  if (!project || !context.access.canSee(principalOf(request), project)) throw projectNotFound(idOrKey);
  return project;
}

/** Finds an issue in a project the request may see, with that project; otherwise Jira's 404. */
export function findVisibleIssue(context: RouteContext, request: FastifyRequest, idOrKey: string): { issue: Issue; project: Project } {
  const issue = context.store.findIssue(idOrKey);
  const project = issue && context.store.findProject(issue.projectKey);
  if (project) request.usageResource = { type: 'project', id: project.key };
  if (!issue || !project || !context.access.canSee(principalOf(request), project)) throw JiraError.notFound(ISSUE_NOT_FOUND);
  return { issue, project };
}
