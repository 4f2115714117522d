/**
 * The admin API requests that bench/admin-scale.ts times, and the sequential timing loop.
 */
import { performance } from 'node:perf_hooks';
import { type SeedPlan, accountId, accountName, clientIdOf, instanceRows } from './admin-scale-data.js';
import { type AdminSession, expectStatus } from './tessera-client.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface QueryKind {
  name: string;
  /** Returns the path under /api/v1 to request, following cursors first where the query needs one. */
  prepare(admin: AdminSession): Promise<string>;
}

export interface QueryTiming {
  name: string;
  path: string;
  /** Items on the page, from the last response. */
  items: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Follows nextCursor from `path` for `pages` pages and returns the path of the page after them. */
async function pathAfterPages(admin: AdminSession, path: string, pages: number): Promise<string> {
  let cursor: string | null = null;
  for (let page = 0; page < pages; page += 1) {
    const response = await admin.request('GET', cursor ? `${path}&cursor=${cursor}` : path);
    expectStatus(response, 200, `Paging ${path}`);
    cursor = response.body.nextCursor;
    if (!cursor) {
      throw new Error(`${path} has only ${page + 1} pages, fewer than the ${pages} this query skips. Raise --events: the page-21 queries need more than 1,000 matching events each.`);
    }
  }
  return `${path}&cursor=${cursor}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The query kinds, with values from the seed plan: a busy account, a quiet one, real instance slugs and time ranges. */
export function queryKinds(plan: SeedPlan): QueryKind[] {
  const fixed = (name: string, path: string): QueryKind => ({ name, prepare: async () => path });
  const slugs = instanceRows(plan).map((instance) => instance.slug);
  const busyAccount = accountId(0);
  const quietAccount = accountId(Math.floor(plan.accounts / 2));
  const monthStart = plan.now - 200 * DAY_MS;
  const monthEnd = monthStart + 30 * DAY_MS;
  const deepAccountPages = Math.max(1, Math.floor(plan.accounts / 2 / 200));

  return [
    fixed('accounts: first page by name', '/service-accounts?limit=50'),
    { name: `accounts: page after ${(deepAccountPages * 200).toLocaleString('en-US')} (cursor)`, prepare: async (admin) => (await pathAfterPages(admin, '/service-accounts?limit=200', deepAccountPages)).replace('limit=200', 'limit=50') },
    fixed('accounts: newest first', '/service-accounts?limit=50&sort=-createdAt'),
    fixed('accounts: last used first', '/service-accounts?limit=50&sort=-lastUsedAt'),
    fixed('accounts: search, hundreds match', '/service-accounts?limit=50&search=ledger-etl'),
    fixed('accounts: search, few match', '/service-accounts?limit=50&search=4242'),
    fixed('accounts: search, none match', '/service-accounts?limit=50&search=no-such-account'),
    fixed('accounts: search by exact name', `/service-accounts?limit=50&search=${accountName(Math.floor(plan.accounts / 3))}`),
    fixed('accounts: search by client id', `/service-accounts?limit=50&search=${clientIdOf(Math.floor(plan.accounts / 3))}`),
    fixed('accounts: status=disabled', '/service-accounts?limit=50&status=disabled'),
    fixed('accounts: instance', `/service-accounts?limit=50&instance=${slugs[3]}`),
    fixed('accounts: status and instance', `/service-accounts?limit=50&status=active&instance=${slugs[4]}`),
    fixed('audit: newest page', '/audit-events?limit=50'),
    fixed('audit: busy account', `/audit-events?limit=50&account=${busyAccount}`),
    fixed('audit: quiet account', `/audit-events?limit=50&account=${quietAccount}`),
    fixed('audit: action, common', '/audit-events?limit=50&action=token.refused'),
    fixed('audit: action, rare', '/audit-events?limit=50&action=admin.access_refused'),
    fixed('audit: action prefix credential.*', '/audit-events?limit=50&action=credential.*'),
    fixed('audit: last 24 hours', `/audit-events?limit=50&from=${iso(plan.now - DAY_MS)}`),
    fixed('audit: one month, 6 months ago', `/audit-events?limit=50&from=${iso(monthStart)}&to=${iso(monthEnd)}`),
    fixed('audit: outcome=failure', '/audit-events?limit=50&outcome=failure'),
    fixed('audit: instance and outcome', `/audit-events?limit=50&instance=${slugs[2]}&outcome=failure`),
    fixed('audit: account, action and month', `/audit-events?limit=50&account=${busyAccount}&action=token.refused&from=${iso(monthStart)}&to=${iso(monthEnd)}`),
    fixed('audit: quiet account and month', `/audit-events?limit=50&account=${quietAccount}&from=${iso(monthStart)}&to=${iso(monthEnd)}`),
    { name: 'audit: page 21 (cursor)', prepare: (admin) => pathAfterPages(admin, '/audit-events?limit=50', 20) },
    { name: 'audit: action, page 21 (cursor)', prepare: (admin) => pathAfterPages(admin, '/audit-events?limit=50&action=token.refused', 20) },
    { name: 'audit: busy account, page 21 (cursor)', prepare: (admin) => pathAfterPages(admin, `/audit-events?limit=50&account=${busyAccount}`, 20) },
  ];
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/** Sends `warmup` then `requests` sequential requests for one path and returns the latency percentiles in ms. */
export async function timeQuery(admin: AdminSession, name: string, path: string, warmup: number, requests: number): Promise<QueryTiming> {
  const samples: number[] = [];
  let items = 0;
  for (let i = 0; i < warmup + requests; i += 1) {
    const started = performance.now();
    const response = await admin.request('GET', path);
    const elapsed = performance.now() - started;
    expectStatus(response, 200, `${name} (${path})`);
    items = response.body.items.length;
    if (i >= warmup) samples.push(elapsed);
  }
  samples.sort((a, b) => a - b);
  return { name, path, items, p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), p99: percentile(samples, 0.99) };
}
