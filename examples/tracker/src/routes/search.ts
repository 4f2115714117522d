import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf } from '../guard-hooks.js';
import { JiraError } from '../jira-errors.js';
import { issueJson, selectFields } from '../jira-json.js';
import { JqlError, parseJql } from '../jql.js';
import { type Paging, type RouteContext, parseList, parsePaging, queryValue, rejectUnknownKeys, requireJsonObject } from '../route-context.js';
import { searchIssues } from '../search.js';

interface SearchRequest {
  jql: string;
  paging: Paging;
  fields: string[] | undefined;
}

/** Keys of Jira's POST /search body; expand, validateQuery, properties and fieldsByKeys are accepted and have no effect. */
const SEARCH_BODY_KEYS = ['jql', 'startAt', 'maxResults', 'fields', 'expand', 'validateQuery', 'properties', 'fieldsByKeys'];

function fromQuery(request: FastifyRequest): SearchRequest {
  return {
    jql: queryValue(request, 'jql') ?? '',
    paging: parsePaging({ startAt: queryValue(request, 'startAt'), maxResults: queryValue(request, 'maxResults') }),
    fields: parseList(queryValue(request, 'fields')),
  };
}

function fromBody(input: unknown): SearchRequest {
  const body = requireJsonObject(input);
  rejectUnknownKeys(body, SEARCH_BODY_KEYS);
  if (body.jql !== undefined && body.jql !== null && typeof body.jql !== 'string') throw JiraError.badRequest('jql must be a string.');

  const fields = body.fields;
  if (fields !== undefined && !(Array.isArray(fields) && fields.every((field) => typeof field === 'string')) && typeof fields !== 'string') {
    throw JiraError.badRequest('fields must be an array of field names.');
  }
  return {
    jql: (body.jql as string | null | undefined) ?? '',
    paging: parsePaging({ startAt: body.startAt, maxResults: body.maxResults }),
    fields: typeof fields === 'string' ? parseList(fields) : (fields as string[] | undefined),
  };
}

export function registerSearchRoutes(app: FastifyInstance, context: RouteContext): void {
  const search = (request: FastifyRequest, input: SearchRequest) => {
    const visible = context.access.visibleProjects(principalOf(request), context.store);
    let issues;
    let query;
    try {
      query = parseJql(input.jql);
      issues = searchIssues(context.store, visible, query);
    } catch (error) {
      if (error instanceof JqlError) throw JiraError.badRequest(error.message);
      throw error;
    }

    // A search in one project is reported with that project, like the other routes.
    const projectClauses = query.clauses.filter((clause) => clause.field === 'project' && clause.operator === '=');
    if (projectClauses.length === 1) {
      const project = context.store.findProject(projectClauses[0].values[0]) ?? visible.find((candidate) => candidate.name.toLowerCase() === projectClauses[0].values[0].toLowerCase());
      if (project) request.usageResource = { type: 'project', id: project.key };
    }

    const projects = new Map(visible.map((project) => [project.key, project]));
    const fields = selectFields(input.fields, 'navigable');
    const page = issues.slice(input.paging.startAt, input.paging.startAt + input.paging.maxResults);
    return {
      expand: 'schema,names',
      startAt: input.paging.startAt,
      maxResults: input.paging.maxResults,
      total: issues.length,
      issues: page.map((issue) => issueJson(context.baseUrl(), issue, projects.get(issue.projectKey)!, fields)),
    };
  };

  app.get('/rest/api/2/search', { config: { scope: 'read:issue' } }, async (request) => search(request, fromQuery(request)));
  app.post('/rest/api/2/search', { config: { scope: 'read:issue' } }, async (request) => search(request, fromBody(request.body)));
}
