/**
 * Runs a parsed JQL query over the issues of the projects a token may see. Values are checked
 * as Jira checks them: a project, status, issue type, priority or key that does not exist,
 * or that the token may not see, is an error rather than an empty result.
 */
import { issueTypeId, priorityId, statusId } from './jira-json.js';
import { type JqlClause, JqlError, type JqlQuery, type JqlSort } from './jql.js';
import { ISSUE_TYPES, type Issue, PRIORITIES, type Project, STATUSES, type TrackerStore } from './store.js';

type Predicate = (issue: Issue) => boolean;

function valueDoesNotExist(value: string, field: string): JqlError {
  return new JqlError(`The value '${value.slice(0, 100)}' does not exist for the field '${field}'.`);
}

/** Resolves each value to a canonical name by name (any letter case) or id. */
function resolveNames<T extends string>(clause: JqlClause, names: readonly T[], idOf: (name: T) => string): Set<string> {
  return new Set(
    clause.values.map((value) => {
      const match = names.find((name) => name.toLowerCase() === value.toLowerCase() || idOf(name) === value);
      if (!match) throw valueDoesNotExist(value, clause.field);
      return match;
    }),
  );
}

function resolveProjects(clause: JqlClause, visible: Project[]): Set<string> {
  return new Set(
    clause.values.map((value) => {
      const wanted = value.toLowerCase();
      const project = visible.find((candidate) => candidate.key.toLowerCase() === wanted || candidate.id === value || candidate.name.toLowerCase() === wanted);
      if (!project) throw valueDoesNotExist(value, 'project');
      return project.key;
    }),
  );
}

function resolveKeys(clause: JqlClause, store: TrackerStore, visibleKeys: Set<string>): Set<string> {
  return new Set(
    clause.values.map((value) => {
      const issue = store.findIssue(value);
      if (!issue || !visibleKeys.has(issue.projectKey)) throw new JqlError(`An issue with key '${value.slice(0, 100)}' does not exist for field 'key'.`);
      return issue.id;
    }),
  );
}

function predicateOf(clause: JqlClause, store: TrackerStore, visible: Project[]): Predicate {
  const lowerValues = new Set(clause.values.map((value) => value.toLowerCase()));
  let matches: Predicate;
  switch (clause.field) {
    case 'project': {
      const keys = resolveProjects(clause, visible);
      matches = (issue) => keys.has(issue.projectKey);
      break;
    }
    case 'status': {
      const statuses = resolveNames(clause, STATUSES, statusId);
      matches = (issue) => statuses.has(issue.status);
      break;
    }
    case 'issuetype': {
      const types = resolveNames(clause, ISSUE_TYPES, issueTypeId);
      matches = (issue) => types.has(issue.issueType);
      break;
    }
    case 'priority': {
      const priorities = resolveNames(clause, PRIORITIES, priorityId);
      matches = (issue) => priorities.has(issue.priority);
      break;
    }
    case 'key': {
      const ids = resolveKeys(clause, store, new Set(visible.map((project) => project.key)));
      matches = (issue) => ids.has(issue.id);
      break;
    }
    case 'labels':
      matches = (issue) => issue.labels.some((label) => lowerValues.has(label.toLowerCase()));
      break;
    case 'reporter':
      matches = (issue) => lowerValues.has(issue.reporter.name.toLowerCase());
      break;
  }
  const negated = clause.operator === '!=' || clause.operator === 'not in';
  return negated ? (issue) => !matches(issue) : matches;
}

/** Number of an issue within its project, so that ABC-10 sorts after ABC-9. */
function issueNumber(issue: Issue): number {
  return Number(issue.key.slice(issue.key.lastIndexOf('-') + 1));
}

function compareBy(sort: JqlSort): (a: Issue, b: Issue) => number {
  const sign = sort.direction === 'ASC' ? 1 : -1;
  switch (sort.field) {
    case 'created':
      return (a, b) => sign * (a.created - b.created);
    case 'updated':
      return (a, b) => sign * (a.updated - b.updated);
    case 'key':
      return (a, b) => sign * (a.projectKey.localeCompare(b.projectKey) || issueNumber(a) - issueNumber(b));
    case 'priority':
      // PRIORITIES runs from Highest to Lowest, and Jira's DESC puts the highest first.
      return (a, b) => sign * (PRIORITIES.indexOf(b.priority) - PRIORITIES.indexOf(a.priority));
    case 'status':
      return (a, b) => sign * (STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status));
    case 'summary':
      return (a, b) => sign * a.summary.localeCompare(b.summary);
  }
}

/** The order when the query has no ORDER BY: newest first. */
const DEFAULT_ORDER: JqlSort[] = [{ field: 'created', direction: 'DESC' }];

/** Returns the matching issues of the visible projects, sorted; throws JqlError for an unknown value. */
export function searchIssues(store: TrackerStore, visible: Project[], query: JqlQuery): Issue[] {
  const visibleKeys = new Set(visible.map((project) => project.key));
  const predicates = query.clauses.map((clause) => predicateOf(clause, store, visible));
  const comparators = (query.orderBy.length > 0 ? query.orderBy : DEFAULT_ORDER).map(compareBy);

  const issues = store.listIssues().filter((issue) => visibleKeys.has(issue.projectKey) && predicates.every((matches) => matches(issue)));
  return issues.sort((a, b) => {
    for (const compare of comparators) {
      const order = compare(a, b);
      if (order !== 0) return order;
    }
    // Ties keep a stable order: newest issue first.
    return Number(b.id) - Number(a.id);
  });
}
