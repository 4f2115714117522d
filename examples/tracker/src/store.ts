/**
 * The tracker's data, in memory: projects, their issues and the issues' comments. Ids are
 * numeric strings and issue keys are `<project key>-<number>`, as in Jira.
 */

/** The creator of an issue or comment: a person of the sample data or a service account. */
export interface Author {
  /** The Jira user name; a service account's client id. */
  name: string;
  displayName: string;
  /** The Tessera account id, for service accounts. */
  accountId?: string;
}

export interface Project {
  id: string;
  key: string;
  name: string;
  description: string;
  lead: Author;
}

export const ISSUE_TYPES = ['Task', 'Bug', 'Story'] as const;
export const STATUSES = ['Open', 'In Progress', 'Done'] as const;
export const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'] as const;

export type IssueType = (typeof ISSUE_TYPES)[number];
export type Status = (typeof STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];

export interface Comment {
  id: string;
  author: Author;
  updateAuthor: Author;
  body: string;
  /** Epoch milliseconds. */
  created: number;
  updated: number;
}

export interface Issue {
  id: string;
  key: string;
  projectKey: string;
  summary: string;
  description: string | null;
  issueType: IssueType;
  status: Status;
  priority: Priority;
  labels: string[];
  reporter: Author;
  assignee: Author | null;
  /** Epoch milliseconds. */
  created: number;
  updated: number;
  comments: Comment[];
}

export type NewIssue = Pick<Issue, 'projectKey' | 'summary' | 'description' | 'issueType' | 'priority' | 'labels' | 'reporter'>;
export type IssueChanges = Partial<Pick<Issue, 'summary' | 'description' | 'issueType' | 'priority' | 'labels'>>;

/** Limits that keep the in-memory store bounded however many requests arrive. */
export const MAX_ISSUES = 10_000;
export const MAX_COMMENTS_PER_ISSUE = 1_000;

export class StoreLimitError extends Error {}

export class TrackerStore {
  private readonly projects = new Map<string, Project>();
  private readonly issues = new Map<string, Issue>();
  private readonly issueIdsByKey = new Map<string, string>();
  private readonly nextIssueNumber = new Map<string, number>();
  private nextProjectId = 10000;
  private nextIssueId = 10001;
  private nextCommentId = 10100;

  constructor(private readonly now: () => number = Date.now) {}

  addProject(project: Omit<Project, 'id'>): Project {
    const created = { ...project, id: String(this.nextProjectId++) };
    this.projects.set(created.key, created);
    this.nextIssueNumber.set(created.key, 1);
    return created;
  }

  listProjects(): Project[] {
    return [...this.projects.values()];
  }

  /** Finds a project by its numeric id or its key, in any letter case. */
  findProject(idOrKey: string): Project | undefined {
    if (/^[0-9]+$/.test(idOrKey)) return this.listProjects().find((project) => project.id === idOrKey);
    return this.projects.get(idOrKey.toUpperCase());
  }

  listIssues(): Issue[] {
    return [...this.issues.values()];
  }

  /** Finds an issue by its numeric id or its key, in any letter case. */
  findIssue(idOrKey: string): Issue | undefined {
    const id = /^[0-9]+$/.test(idOrKey) ? idOrKey : this.issueIdsByKey.get(idOrKey.toUpperCase());
    return id === undefined ? undefined : this.issues.get(id);
  }

  createIssue(input: NewIssue, createdAt = this.now()): Issue {
    if (this.issues.size >= MAX_ISSUES) throw new StoreLimitError(`The tracker reached its maximum of ${MAX_ISSUES} issues; restart it to start again from the sample data.`);
    const number = this.nextIssueNumber.get(input.projectKey);
    if (number === undefined) throw new Error(`unknown project ${input.projectKey}`);

    this.nextIssueNumber.set(input.projectKey, number + 1);
    const issue: Issue = {
      ...input,
      labels: [...input.labels],
      id: String(this.nextIssueId++),
      key: `${input.projectKey}-${number}`,
      status: 'Open',
      assignee: null,
      created: createdAt,
      updated: createdAt,
      comments: [],
    };
    this.issues.set(issue.id, issue);
    this.issueIdsByKey.set(issue.key, issue.id);
    return issue;
  }

  updateIssue(issue: Issue, changes: IssueChanges): void {
    for (const [name, value] of Object.entries(changes)) {
      if (value !== undefined) Object.assign(issue, { [name]: value });
    }
    issue.updated = this.now();
  }

  setStatus(issue: Issue, status: Status): void {
    issue.status = status;
    issue.updated = this.now();
  }

  addComment(issue: Issue, author: Author, body: string, createdAt = this.now()): Comment {
    if (issue.comments.length >= MAX_COMMENTS_PER_ISSUE) {
      throw new StoreLimitError(`Issue ${issue.key} already has the maximum of ${MAX_COMMENTS_PER_ISSUE} comments.`);
    }
    const comment: Comment = { id: String(this.nextCommentId++), author, updateAuthor: author, body, created: createdAt, updated: createdAt };
    issue.comments.push(comment);
    issue.updated = Math.max(issue.updated, createdAt);
    return comment;
  }
}
