import { instanceScope } from './permissions.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { recordSeats } from '../seats/record.js';
import { buildSeatReport, seatReportCsv } from '../seats/report.js';
import { findInstance } from '../storage/instances.js';
import { adminActor, requireRole } from './auth.js';
import { IdParams, StringEnum } from './schemas.js';
import { timestamp } from './views.js';

/** The largest seat count accepted, well above any single product licence. */
export const MAX_SEATS = 10_000_000;

export const SeatCountsSchema = {
  licensedUsers: Type.Integer({ minimum: 0, maximum: MAX_SEATS }),
  activeUsers: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SEATS })),
};

const SeatsBody = Type.Object(SeatCountsSchema, { additionalProperties: false });
const ReportQuery = Type.Object({ format: Type.Optional(StringEnum(['json', 'csv'] as const)) }, { additionalProperties: false });

/** Routes of the seat report and of the admin's own seat counts. */
export async function seatRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/reports/seats', { schema: { querystring: ReportQuery } }, async (request, reply) => {
    const report = await buildSeatReport(ctx.db, ctx.clock.now(), instanceScope(request));
    if ((request.query as { format?: string }).format !== 'csv') return report;

    return reply
      .header('content-disposition', 'attachment; filename="tessera-seats.csv"')
      .type('text/csv; charset=utf-8')
      .send(seatReportCsv(report));
  });

  app.put('/instances/:id/seats', { schema: { params: IdParams, body: SeatsBody } }, async (request) => {
    requireRole(request, 'admin');
    const id = (request.params as { id: string }).id;
    const body = request.body as { licensedUsers: number; activeUsers?: number };
    const instance = await findInstance(ctx.db, id);
    if (!instance) throw new RequestError('not_found', `No instance has the slug or id "${id}"; list instances with GET /api/v1/instances.`);
    if (body.activeUsers !== undefined && body.activeUsers > body.licensedUsers) {
      throw new RequestError('validation_failed', `activeUsers (${body.activeUsers}) is larger than licensedUsers (${body.licensedUsers}); active users are a part of the licensed ones.`, 'activeUsers');
    }

    const { row } = await recordSeats(ctx, instance, body, { source: 'admin', actor: adminActor(request), origin: sourceOf(request) });
    return {
      instance: { id: instance.id, slug: instance.slug },
      licensedUsers: row.licensed_users,
      activeUsers: row.active_users,
      reportedVia: row.source,
      reportedAt: timestamp(row.reported_at),
    };
  });
}
