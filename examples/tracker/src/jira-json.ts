/**
 * JSON representations of projects, issues, comments and users in the shapes of the Jira
 * Server REST API version 2, so that Jira clients read them unchanged. `base` is the
 * tracker's public base URL, used in the `self` links.
 */
import type { Author, Comment, Issue, IssueType, Priority, Project, Status } from './store.js';

const ISSUE_TYPE_IDS: Record<IssueType, string> = { Story: '10001', Task: '10002', Bug: '10004' };
const PRIORITY_IDS: Record<Priority, string> = { Highest: '1', High: '2', Medium: '3', Low: '4', Lowest: '5' };

const STATUS_DETAILS: Record<Status, { id: string; category: { id: number; key: string; colorName: string; name: string } }> = {
  Open: { id: '1', category: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' } },
  'In Progress': { id: '3', category: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' } },
  Done: { id: '10001', category: { id: 3, key: 'done', colorName: 'green', name: 'Done' } },
};

/** Fields that a search returns when `fields` is absent, as Jira's `*navigable` does: all but comments. */
const NAVIGABLE_FIELDS = ['summary', 'description', 'issuetype', 'project', 'status', 'priority', 'labels', 'reporter', 'creator', 'assignee', 'created', 'updated'];
const ALL_FIELDS = [...NAVIGABLE_FIELDS, 'comment'];

/** Formats a time as Jira does: `2024-05-01T09:30:00.000+0000`. */
export function jiraTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

export function issueTypeId(type: IssueType): string {
  return ISSUE_TYPE_IDS[type];
}

export function priorityId(priority: Priority): string {
  return PRIORITY_IDS[priority];
}

export function statusId(status: Status): string {
  return STATUS_DETAILS[status].id;
}

function avatarUrls(base: string, name: string) {
  const url = `${base}/secure/useravatar?ownerId=${encodeURIComponent(name)}`;
  return { '48x48': url, '24x24': `${url}&size=small`, '16x16': `${url}&size=xsmall`, '32x32': `${url}&size=medium` };
}

export function userJson(base: string, author: Author) {
  return {
    self: `${base}/rest/api/2/user?username=${encodeURIComponent(author.name)}`,
    name: author.name,
    key: author.accountId ?? author.name,
    emailAddress: '',
    avatarUrls: avatarUrls(base, author.name),
    displayName: author.displayName,
    active: true,
    timeZone: 'UTC',
  };
}

export function issueTypeJson(base: string, type: IssueType) {
  const id = ISSUE_TYPE_IDS[type];
  return { self: `${base}/rest/api/2/issuetype/${id}`, id, description: '', iconUrl: '', name: type, subtask: false };
}

export function statusJson(base: string, status: Status) {
  const { id, category } = STATUS_DETAILS[status];
  return {
    self: `${base}/rest/api/2/status/${id}`,
    description: '',
    iconUrl: '',
    name: status,
    id,
    statusCategory: { self: `${base}/rest/api/2/statuscategory/${category.id}`, ...category },
  };
}

function priorityJson(base: string, priority: Priority) {
  const id = PRIORITY_IDS[priority];
  return { self: `${base}/rest/api/2/priority/${id}`, iconUrl: '', name: priority, id };
}

/** Builds a project as `GET /rest/api/2/project` lists it. */
export function projectSummaryJson(base: string, project: Project) {
  return {
    expand: 'description,lead,url,projectKeys',
    self: `${base}/rest/api/2/project/${project.id}`,
    id: project.id,
    key: project.key,
    name: project.name,
    avatarUrls: avatarUrls(base, project.key),
    projectTypeKey: 'software',
    archived: false,
  };
}

/** Builds a project as `GET /rest/api/2/project/{key}` returns it. */
export function projectJson(base: string, project: Project) {
  return {
    ...projectSummaryJson(base, project),
    description: project.description,
    lead: userJson(base, project.lead),
    components: [],
    issueTypes: (Object.keys(ISSUE_TYPE_IDS) as IssueType[]).map((type) => issueTypeJson(base, type)),
    assigneeType: 'UNASSIGNED',
    versions: [],
    roles: {},
    projectKeys: [project.key],
  };
}

export function commentJson(base: string, issue: Issue, comment: Comment) {
  return {
    self: `${base}/rest/api/2/issue/${issue.id}/comment/${comment.id}`,
    id: comment.id,
    author: userJson(base, comment.author),
    body: comment.body,
    updateAuthor: userJson(base, comment.updateAuthor),
    created: jiraTime(comment.created),
    updated: jiraTime(comment.updated),
  };
}

/** Builds one page of an issue's comments, as the comment route and the issue's `comment` field return it. */
export function commentPageJson(base: string, issue: Issue, startAt: number, maxResults: number) {
  const comments = issue.comments.slice(startAt, startAt + maxResults);
  return { startAt, maxResults, total: issue.comments.length, comments: comments.map((comment) => commentJson(base, issue, comment)) };
}

/**
 * Resolves Jira's `fields` parameter (`summary,status`, `*all`, `*navigable`, `-comment`) to
 * the field names to include. Unknown names are left out, as Jira does.
 */
export function selectFields(requested: string[] | undefined, defaults: 'all' | 'navigable'): Set<string> {
  let names = requested ?? [];
  if (names.length === 0) names = defaults === 'all' ? ['*all'] : ['*navigable'];
  const selected = new Set<string>();
  for (const name of names) {
    if (name === '*all') ALL_FIELDS.forEach((field) => selected.add(field));
    else if (name === '*navigable') NAVIGABLE_FIELDS.forEach((field) => selected.add(field));
  }
  for (const name of names) {
    if (name.startsWith('-')) selected.delete(name.slice(1));
    else if (ALL_FIELDS.includes(name)) selected.add(name);
  }
  return selected;
}

export function issueJson(base: string, issue: Issue, project: Project, fields: Set<string>) {
  const all: Record<string, () => unknown> = {
    summary: () => issue.summary,
    description: () => issue.description,
    issuetype: () => issueTypeJson(base, issue.issueType),
    project: () => {
      const { self, id, key, name, avatarUrls: avatars, projectTypeKey } = projectSummaryJson(base, project);
      return { self, id, key, name, projectTypeKey, avatarUrls: avatars };
    },
    status: () => statusJson(base, issue.status),
    priority: () => priorityJson(base, issue.priority),
    labels: () => [...issue.labels],
    reporter: () => userJson(base, issue.reporter),
    creator: () => userJson(base, issue.reporter),
    assignee: () => (issue.assignee ? userJson(base, issue.assignee) : null),
    created: () => jiraTime(issue.created),
    updated: () => jiraTime(issue.updated),
    comment: () => commentPageJson(base, issue, 0, issue.comments.length),
  };

  const selected: Record<string, unknown> = {};
  for (const name of fields) selected[name] = all[name]();
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: `${base}/rest/api/2/issue/${issue.id}`,
    key: issue.key,
    fields: selected,
  };
}
