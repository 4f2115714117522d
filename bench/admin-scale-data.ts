/**
 * Generates the rows that bench/admin-scale.ts loads: instances, service accounts with grants
 * and credentials, and an audit log whose events spread over accounts, instances, actions,
 * outcomes and months, with the hash chain computed as packages/server/src/audit/chain.ts does.
 */
import { createHash } from 'node:crypto';
import { hashEvent, GENESIS_HASH } from '../packages/server/src/audit/chain.js';
import { CLIENT_ID_PREFIX } from '../packages/server/src/crypto/secrets.js';
import type { AuditEventRow, CredentialRow, GrantRow, InstanceRow, ServiceAccountRow } from '../packages/server/src/storage/tables.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const TEAMS = ['billing', 'payments', 'search', 'catalog', 'checkout', 'identity', 'reporting', 'warehouse', 'mobile', 'platform', 'security', 'support', 'growth', 'infra', 'data', 'ml', 'ledger', 'shipping', 'pricing', 'inventory'];
const PURPOSES = ['sync', 'export', 'import', 'backup', 'deploy', 'monitor', 'etl', 'webhook', 'scanner', 'reporter', 'migrator', 'indexer', 'notifier', 'archiver', 'scheduler'];
const PROFILES = ['jira', 'confluence', 'bitbucket', 'bamboo', 'crowd'] as const;
const USER_AGENTS = ['python-requests/2.32.3', 'curl/8.5.0', 'Go-http-client/2.0', 'okhttp/4.12.0', 'node-fetch/3.3.2', 'Apache-HttpClient/5.3'];
const REFUSAL_REASONS = ['invalid_client_secret', 'unknown_client', 'scope_not_granted', 'account_disabled', 'credential_expired'];

/** Share of events per action and outcome. Token requests dominate, as in a real log. */
const EVENT_MIX: Array<{ weight: number; action: string; outcome: 'success' | 'failure' }> = [
  { weight: 0.86, action: 'token.issued', outcome: 'success' },
  { weight: 0.07, action: 'token.refused', outcome: 'failure' },
  { weight: 0.01, action: 'token.revoked', outcome: 'success' },
  { weight: 0.015, action: 'account.updated', outcome: 'success' },
  { weight: 0.01, action: 'credential.created', outcome: 'success' },
  { weight: 0.008, action: 'credential.rotated', outcome: 'success' },
  { weight: 0.004, action: 'credential.revoked', outcome: 'success' },
  { weight: 0.02, action: 'admin.sign_in', outcome: 'success' },
  { weight: 0.003, action: 'admin.access_refused', outcome: 'failure' },
];

/** A small deterministic generator (mulberry32), so that two databases get the same rows. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  integer(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.integer(items.length)];
  }
}

/** An id shaped like a UUID, derived from a label, so that every run gets the same ids. */
function stableId(label: string): string {
  const hex = createHash('sha256').update(label).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function stableClientId(index: number): string {
  const digest = createHash('sha256').update(`client-${index}`).digest();
  let text = '';
  for (let i = 0; i < 22; i += 1) text += BASE62[digest[i] % 62];
  return `${CLIENT_ID_PREFIX}${text}`;
}

export interface SeedPlan {
  accounts: number;
  events: number;
  instances: number;
  /** The audit log ends here; accounts were created in the two years before it starts. */
  now: number;
  /** How far back the audit log reaches. */
  auditSpanMs: number;
}

export function defaultPlan(accounts: number, events: number, now: number): SeedPlan {
  return { accounts, events, instances: 20, now, auditSpanMs: 365 * DAY_MS };
}

export function instanceRows(plan: SeedPlan): InstanceRow[] {
  const rows: InstanceRow[] = [];
  for (let i = 0; i < plan.instances; i += 1) {
    const profile = PROFILES[i % PROFILES.length];
    const start = plan.now - plan.auditSpanMs - 3 * 365 * DAY_MS;
    rows.push({ id: stableId(`instance-${i}`), slug: `${profile}-${i}`, name: `${profile} ${i}`, profile, audience: `https://${profile}-${i}.scale.example`, access_token_lifetime_seconds: null, token_format: 'jwt', created_at: start, updated_at: start });
  }
  return rows;
}

export function accountId(index: number): string {
  return stableId(`account-${index}`);
}

export function credentialId(accountIndex: number, credentialIndex: number): string {
  return stableId(`credential-${accountIndex}-${credentialIndex}`);
}

export function accountName(index: number): string {
  return `${TEAMS[index % TEAMS.length]}-${PURPOSES[Math.floor(index / TEAMS.length) % PURPOSES.length]}-${index}`;
}

export function clientIdOf(index: number): string {
  return stableClientId(index);
}

/** Instances an account has grants on: one for most, two for every fifth. */
export function grantedInstances(plan: SeedPlan, index: number): number[] {
  const first = (index * 7919) % plan.instances;
  return index % 5 === 0 ? [first, (first + 1) % plan.instances] : [first];
}

/** Account `index` with its grants and credentials (a second, rotated one for every tenth). */
export function accountRows(plan: SeedPlan, index: number, instances: InstanceRow[]): { account: ServiceAccountRow; grants: GrantRow[]; credentials: CredentialRow[] } {
  const random = new Random(index + 1);
  const created = plan.now - plan.auditSpanMs - DAY_MS - random.integer(2 * 365) * DAY_MS - random.integer(DAY_MS);
  const used = random.next() < 0.7 ? plan.now - random.integer(90 * DAY_MS) : null;
  const team = TEAMS[index % TEAMS.length];
  const id = accountId(index);
  const account: ServiceAccountRow = {
    id,
    client_id: stableClientId(index),
    name: accountName(index),
    description: `Runs the ${PURPOSES[Math.floor(index / TEAMS.length) % PURPOSES.length]} job of the ${team} team against ${instances[grantedInstances(plan, index)[0]].slug}.`,
    owner: `${team}-team@example.com`,
    status: index % 12 === 5 ? 'disabled' : 'active',
    created_at: created,
    updated_at: created,
    last_used_at: used,
    last_used_ip: used === null ? null : `10.${index % 250}.${(index >> 8) % 250}.${index % 199}`,
    token_generation: 0,
    purpose: '',
    contacts: '[]',
    review_at: null,
    ip_allowlist: null,
    rate_limit: null,
    dpop_bound: 0,
    dormant_since: null,
  };

  const grants = grantedInstances(plan, index).map((instance) => ({
    account_id: id,
    instance_id: instances[instance].id,
    scopes: JSON.stringify(['READ']),
    resources: JSON.stringify({ project: '*' }),
  }));

  const credentialCount = index % 10 === 0 ? 2 : 1;
  const credentials: CredentialRow[] = [];
  for (let c = 0; c < credentialCount; c += 1) {
    credentials.push({
      id: credentialId(index, c),
      account_id: id,
      kind: 'secret',
      secret_hash: createHash('sha256').update(`secret-${index}-${c}`).digest('base64url'),
      public_jwk: null,
      jwks_url: null,
      created_at: created,
      expires_at: created + (365 + random.integer(730)) * DAY_MS,
      revoked_at: null,
      last_used_at: c === credentialCount - 1 ? used : null,
      last_used_ip: null,
      replaced_by: null,
    });
  }
  return { account, grants, credentials };
}

/**
 * Picks the account of an event: a power law, so that a few accounts make most requests and
 * the typical account has some tens of events in the year.
 */
export function actorIndex(random: Random, accounts: number): number {
  return Math.min(accounts - 1, Math.floor(accounts * random.next() ** 3));
}

/** Generates audit events `first` to `first + count - 1` (seq numbers), chained to `prevHash`. */
export class AuditEventGenerator {
  private readonly random = new Random(20261205);
  private prevHash = GENESIS_HASH;
  private nextSeq = 1;
  private readonly cumulative: number[];

  constructor(
    private readonly plan: SeedPlan,
    private readonly instances: InstanceRow[],
    private readonly chainKey: Buffer,
    private readonly adminId: string,
  ) {
    let sum = 0;
    this.cumulative = EVENT_MIX.map((entry) => (sum += entry.weight));
  }

  get generated(): number {
    return this.nextSeq - 1;
  }

  /** The next `count` events, or fewer at the end of the plan. */
  batch(count: number): AuditEventRow[] {
    const rows: AuditEventRow[] = [];
    const start = this.plan.now - this.plan.auditSpanMs;
    while (rows.length < count && this.nextSeq <= this.plan.events) {
      const seq = this.nextSeq;
      // Evenly spread over the span with jitter, but never earlier than the event before, as the writer appends.
      const occurredAt = start + Math.floor(((seq - 1 + this.random.next() * 0.5) * this.plan.auditSpanMs) / this.plan.events);
      const row = this.event(seq, occurredAt);
      rows.push(row);
      this.prevHash = row.hash;
      this.nextSeq += 1;
    }
    return rows;
  }

  private event(seq: number, occurredAt: number): AuditEventRow {
    const random = this.random;
    const roll = random.next() * this.cumulative[this.cumulative.length - 1];
    const mix = EVENT_MIX[this.cumulative.findIndex((edge) => roll < edge)];
    const index = actorIndex(random, this.plan.accounts);
    const account = accountId(index);
    const instance = this.instances[random.pick(grantedInstances(this.plan, index))];
    const credential = credentialId(index, index % 10 === 0 ? 1 : 0);
    const ip = `10.${index % 250}.${(index >> 8) % 250}.${index % 199}`;

    const base = { seq, occurred_at: occurredAt, source_ip: ip, user_agent: random.pick(USER_AGENTS), outcome: mix.outcome, reason: null as string | null, prev_hash: this.prevHash };
    let row: Omit<AuditEventRow, 'hash'>;
    switch (mix.action) {
      case 'token.issued':
        row = { ...base, actor_type: 'service_account', actor_id: account, credential_id: credential, action: mix.action, target_type: 'instance', target_id: instance.id, instance_id: instance.id, details: JSON.stringify({ jti: stableId(`jti-${seq}`), scope: 'READ', expiresIn: 3600, authMethod: 'client_secret_basic' }) };
        break;
      case 'token.refused': {
        const known = random.next() < 0.75;
        row = { ...base, actor_type: known ? 'service_account' : 'anonymous', actor_id: known ? account : null, credential_id: known ? credential : null, action: mix.action, target_type: null, target_id: null, instance_id: instance.id, reason: random.pick(REFUSAL_REASONS), details: JSON.stringify({ error: 'invalid_client' }) };
        break;
      }
      case 'token.revoked':
        row = { ...base, actor_type: 'service_account', actor_id: account, credential_id: credential, action: mix.action, target_type: 'token', target_id: stableId(`jti-${seq - 1}`), instance_id: instance.id, details: null };
        break;
      case 'account.updated':
        row = { ...base, actor_type: 'admin', actor_id: this.adminId, credential_id: null, action: mix.action, target_type: 'service_account', target_id: account, instance_id: null, user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', details: JSON.stringify({ changed: ['description'] }) };
        break;
      case 'credential.created':
      case 'credential.rotated':
      case 'credential.revoked':
        row = { ...base, actor_type: 'admin', actor_id: this.adminId, credential_id: null, action: mix.action, target_type: 'credential', target_id: credential, instance_id: null, user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', details: JSON.stringify({ accountId: account }) };
        break;
      default:
        // admin.sign_in and admin.access_refused
        row = { ...base, actor_type: 'admin', actor_id: this.adminId, credential_id: null, action: mix.action, target_type: 'admin', target_id: this.adminId, instance_id: null, source_ip: '192.168.1.20', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', reason: mix.outcome === 'failure' ? 'wrong_password' : null, details: null };
    }
    return { ...row, hash: hashEvent(row, this.chainKey) };
  }
}
