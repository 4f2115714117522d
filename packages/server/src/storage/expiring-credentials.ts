import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './tables.js';

export interface ExpiringCredentialPage {
  now: number;
  /** Only credentials that expire after `now` and no later than this time. */
  before: number;
  after?: { expiresAt: number; id: string };
  /** Only accounts with a grant on one of these instances, for an instance-admin. */
  withinInstances?: string[];
  limit: number;
}

/**
 * Lists live credentials that expire within the window, soonest first, with their account.
 * Credentials replaced in a rotation are left out, because their expiry is planned.
 */
export function listExpiringCredentials(db: Kysely<Database>, page: ExpiringCredentialPage) {
  let query = db
    .selectFrom('credentials')
    .innerJoin('service_accounts', 'service_accounts.id', 'credentials.account_id')
    .select([
      'credentials.id as id',
      'credentials.account_id as account_id',
      'credentials.created_at as created_at',
      'credentials.expires_at as expires_at',
      'credentials.last_used_at as last_used_at',
      'service_accounts.name as account_name',
      'service_accounts.status as account_status',
      'service_accounts.owner as account_owner',
    ])
    .where('credentials.revoked_at', 'is', null)
    .where('credentials.replaced_by', 'is', null)
    .where('credentials.expires_at', '>', page.now)
    .where('credentials.expires_at', '<=', page.before);
  if (page.withinInstances) {
    const instanceIds = page.withinInstances.length > 0 ? page.withinInstances : [''];
    query = query.where('credentials.account_id', 'in', (eb) => eb.selectFrom('grants').select('account_id').where('instance_id', 'in', instanceIds));
  }
  if (page.after) query = query.where(sql<boolean>`(credentials.expires_at, credentials.id) > (${page.after.expiresAt}, ${page.after.id})`);
  return query.orderBy('credentials.expires_at').orderBy('credentials.id').limit(page.limit).execute();
}
