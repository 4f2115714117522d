import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SeatCountsSchema } from '../admin-api/seats.js';
import { timestamp } from '../admin-api/views.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { authenticateClient, extractClientCredentials } from '../oauth/client-auth.js';
import { OAuthError } from '../oauth/errors.js';
import { normaliseAudience } from '../oauth/token/select-grant.js';
import { recordSeats } from '../seats/record.js';
import { grantsOf } from '../storage/accounts.js';
import { findInstanceByAudience, listInstances } from '../storage/instances.js';
import type { InstanceRow } from '../storage/tables.js';

const SeatReportBody = Type.Object(
  {
    ...SeatCountsSchema,
    /** Needed only when the reporting account has grants on several instances. */
    audience: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);

interface SeatReport {
  licensedUsers: number;
  activeUsers?: number;
  audience?: string;
}

/** Picks the instance a product reports for: the one named by audience, or the caller's only granted instance. */
async function reportedInstance(ctx: ServerContext, accountId: string, audience: string | undefined): Promise<InstanceRow> {
  const granted = new Set((await grantsOf(ctx.db, [accountId])).map((grant) => grant.instance_id));
  if (granted.size === 0) throw new OAuthError('access_denied', 'This client has no grant on any instance; report seats with the service account of the product instance.');

  if (audience !== undefined) {
    const instance = await findInstanceByAudience(ctx.db, normaliseAudience(audience));
    if (!instance || !granted.has(instance.id)) throw new OAuthError('access_denied', 'This client has no grant on that audience; report seats with the service account of that instance.');
    return instance;
  }
  if (granted.size > 1) throw new OAuthError('invalid_request', 'This client has grants on several instances; add "audience" with the base URL of the instance the seats belong to.');

  const [instanceId] = granted;
  return (await listInstances(ctx.db)).find((row) => row.id === instanceId)!;
}

/**
 * Registers POST /guard/v1/seats, where a product reports how many licensed human users it
 * has, authenticated with its own service account like the usage reports.
 */
export function guardSeatRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/guard/v1/seats', { schema: { body: SeatReportBody } }, async (request) => {
    const caller = await authenticateClient(ctx, extractClientCredentials(request.headers.authorization, new Map()), request.ip);
    const report = request.body as SeatReport;
    if (report.activeUsers !== undefined && report.activeUsers > report.licensedUsers) {
      throw new OAuthError('invalid_request', `activeUsers (${report.activeUsers}) is larger than licensedUsers (${report.licensedUsers}); active users are a part of the licensed ones.`);
    }

    const instance = await reportedInstance(ctx, caller.account.id, report.audience);
    const { row, audited } = await recordSeats(ctx, instance, report, {
      source: 'product',
      actor: { type: 'service_account', id: caller.account.id, credentialId: caller.credential.id },
      origin: sourceOf(request),
    });
    return {
      instance: { id: instance.id, slug: instance.slug },
      licensedUsers: row.licensed_users,
      activeUsers: row.active_users,
      serviceAccountSeats: 0,
      reportedAt: timestamp(row.reported_at),
      audited,
    };
  });
}
