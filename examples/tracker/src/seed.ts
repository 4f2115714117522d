import { type Author, type IssueType, type Priority, type Status, TrackerStore } from './store.js';

const alice: Author = { name: 'alice', displayName: 'Alice Moreau' };
const bob: Author = { name: 'bob', displayName: 'Bob Okafor' };

const HOUR_MS = 60 * 60 * 1000;

interface SampleIssue {
  project: string;
  summary: string;
  description: string;
  type: IssueType;
  status: Status;
  priority: Priority;
  labels: string[];
  reporter: Author;
  hoursAgo: number;
  comments?: { author: Author; body: string }[];
}

const SAMPLE_ISSUES: SampleIssue[] = [
  {
    project: 'ABC',
    summary: 'Invoice PDF shows the wrong currency symbol',
    description: 'Invoices for Swiss customers show EUR instead of CHF.',
    type: 'Bug',
    status: 'Open',
    priority: 'High',
    labels: ['invoices'],
    reporter: alice,
    hoursAgo: 72,
    comments: [{ author: bob, body: 'Reproduced with customer 4411.' }],
  },
  {
    project: 'ABC',
    summary: 'Export monthly revenue as CSV',
    description: 'Finance wants a CSV export next to the PDF report.',
    type: 'Story',
    status: 'In Progress',
    priority: 'Medium',
    labels: ['reports'],
    reporter: bob,
    hoursAgo: 48,
  },
  {
    project: 'ABC',
    summary: 'Retry failed card payments once',
    description: 'A second attempt after 10 minutes recovers most soft declines.',
    type: 'Task',
    status: 'Done',
    priority: 'Medium',
    labels: [],
    reporter: alice,
    hoursAgo: 24,
  },
  {
    project: 'OPS',
    summary: 'Rotate the database backup key',
    description: 'The current key was created 13 months ago.',
    type: 'Task',
    status: 'Open',
    priority: 'Highest',
    labels: ['security'],
    reporter: bob,
    hoursAgo: 60,
  },
  {
    project: 'OPS',
    summary: 'Disk usage alert on build agents',
    description: 'Agents 3 and 4 reach 90 % during nightly builds.',
    type: 'Bug',
    status: 'In Progress',
    priority: 'High',
    labels: ['monitoring'],
    reporter: alice,
    hoursAgo: 12,
  },
  {
    project: 'WEB',
    summary: 'Update the pricing page for the new plans',
    description: 'Three plans instead of four from next quarter.',
    type: 'Story',
    status: 'Open',
    priority: 'Low',
    labels: ['content'],
    reporter: alice,
    hoursAgo: 36,
  },
];

/** Creates a store with three projects (ABC, OPS, WEB) and a handful of issues and comments. */
export function createSampleStore(now: () => number = Date.now): TrackerStore {
  const store = new TrackerStore(now);
  store.addProject({ key: 'ABC', name: 'Accounts and Billing', description: 'Invoices, payments and revenue reports.', lead: alice });
  store.addProject({ key: 'OPS', name: 'Operations', description: 'Infrastructure, backups and monitoring.', lead: bob });
  store.addProject({ key: 'WEB', name: 'Website', description: 'The public website and its content.', lead: alice });

  const start = now();
  for (const sample of SAMPLE_ISSUES) {
    const createdAt = start - sample.hoursAgo * HOUR_MS;
    const issue = store.createIssue(
      {
        projectKey: sample.project,
        summary: sample.summary,
        description: sample.description,
        issueType: sample.type,
        priority: sample.priority,
        labels: sample.labels,
        reporter: sample.reporter,
      },
      createdAt,
    );
    issue.status = sample.status;
    for (const [index, comment] of (sample.comments ?? []).entries()) {
      store.addComment(issue, comment.author, comment.body, createdAt + (index + 1) * HOUR_MS);
    }
  }
  return store;
}
