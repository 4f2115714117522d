import { BUILT_IN_PROFILES, type Profile, expandScopes, findProfile } from '@tessera/shared';
import type { Kysely } from 'kysely';
import { guardrailView } from '../admin-api/account-guardrails.js';
import { timestamp } from '../admin-api/views.js';
import { grantsOf } from '../storage/accounts.js';
import { listInstances } from '../storage/instances.js';
import type { Database } from '../storage/tables.js';

export const MANIFEST_VERSION = 1;

/** Cloud-style scopes are the fine ones written `verb:noun`; the coarse Data Center ones are upper case. */
function isGranular(scope: string): boolean {
  return scope.includes(':');
}

/** Expands coarse scopes to the granular scopes they imply, through the profile's implication catalogue. */
export function granularScopes(profile: Profile, scopes: string[]): string[] {
  return [...expandScopes(profile, scopes)].filter(isGranular).sort();
}

/**
 * Maps each coarse scope of a profile to the granular scopes it implies. A coarse scope that
 * implies none, such as every Bitbucket scope, maps to an empty list: it has no Cloud-style
 * equivalent in the catalogue and must be recreated as it is.
 */
export function scopeMapping(profile: Profile): Record<string, string[]> {
  return Object.fromEntries(profile.scopes.filter((scope) => !isGranular(scope.name)).map((scope) => [scope.name, granularScopes(profile, [scope.name])]));
}

/**
 * Builds the migration manifest: every service account with its grants, each coarse scope
 * also written as the granular scopes it implies, for recreating the accounts elsewhere. It
 * contains no secret and no credential, because those cannot move: the new home issues its own.
 */
export async function buildManifest(db: Kysely<Database>, issuer: string, now: number) {
  const [instances, accounts] = await Promise.all([listInstances(db), db.selectFrom('service_accounts').selectAll().orderBy('name').execute()]);
  const grants = await grantsOf(db, accounts.map((account) => account.id));
  const instanceById = new Map(instances.map((row) => [row.id, row]));
  const profilesUsed = new Set(instances.map((row) => row.profile));

  return {
    manifestVersion: MANIFEST_VERSION,
    generatedAt: timestamp(now),
    issuer,
    instances: instances.map((row) => ({ slug: row.slug, name: row.name, profile: row.profile, audience: row.audience })),
    scopeMapping: Object.fromEntries([...BUILT_IN_PROFILES.values()].filter((profile) => profilesUsed.has(profile.name)).map((profile) => [profile.name, scopeMapping(profile)])),
    accounts: accounts.map((account) => {
      const guardrails = guardrailView(account);
      return {
        name: account.name,
        description: account.description,
        owner: account.owner,
        purpose: account.purpose,
        contacts: guardrails.contacts,
        status: account.status,
        sourceId: account.id,
        sourceClientId: account.client_id,
        createdAt: timestamp(account.created_at),
        access: grants
          .filter((grant) => grant.account_id === account.id)
          .map((grant) => {
            const instance = instanceById.get(grant.instance_id);
            const profile = findProfile(instance?.profile ?? '');
            const scopes = JSON.parse(grant.scopes) as string[];
            return {
              instance: instance?.slug ?? grant.instance_id,
              profile: instance?.profile ?? null,
              audience: instance?.audience ?? null,
              scopes,
              granularScopes: profile ? granularScopes(profile, scopes) : [],
              resources: JSON.parse(grant.resources) as Record<string, string[] | '*'>,
            };
          })
          .sort((a, b) => a.instance.localeCompare(b.instance)),
      };
    }),
  };
}
