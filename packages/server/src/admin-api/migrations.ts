import { rejectInstanceAdmin } from './permissions.js';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { buildManifest } from '../migration/manifest.js';
import { parseExport } from '../migration/parse-export.js';
import { proposeAccount } from '../migration/propose.js';
import { ImportInvalid } from '../migration/source-accounts.js';
import { importView, proposalView } from '../migration/views.js';
import { countProposalsByStatus, findImport, insertImport, listImports, proposalsOf } from '../storage/migration-imports.js';
import type { MigrationImportRow, MigrationProposalRow } from '../storage/tables.js';
import { instanceIndex } from './account-store.js';
import { adminActor, requireRole } from './auth.js';
import { migrationDecisionRoutes } from './migration-decisions.js';
import { handleAdminError, problemOf, sendProblem } from './problem.js';
import { IdParams, NoQuery } from './schemas.js';
import { decodeUtf8, parseStrictJson } from './strict-json.js';

/** Exports of many accounts outgrow the admin API's usual 1 MiB, so uploads here may be larger. */
export const IMPORT_BODY_LIMIT = 5 * 1024 * 1024;
const MAX_LISTED_IMPORTS = 100;

const ResourceMap = Type.Record(Type.String(), Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]));
/** The JSON export format, for the OpenAPI document; the route checks it itself so that it can report every bad entry at once. */
const ImportJsonSchema = Type.Object(
  {
    accounts: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          email: Type.String(),
          groups: Type.Optional(Type.Array(Type.String())),
          owner: Type.Optional(Type.String()),
          access: Type.Array(
            Type.Object(
              {
                instance: Type.String(),
                projects: Type.Optional(ResourceMap),
                spaces: Type.Optional(ResourceMap),
                repositories: Type.Optional(ResourceMap),
                deploymentProjects: Type.Optional(ResourceMap),
                resources: Type.Optional(ResourceMap),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    owners: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

/** Sends every bad entry of an export at once, each with its CSV line or JSON field. */
function sendImportInvalid(reply: FastifyReply, error: ImportInvalid): FastifyReply {
  const [first] = error.issues;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more, listed in errors)` : '';
  const detail = `${error.message} Nothing was imported; fix the entries listed in errors and upload the export again. First: ${first.message}${more}`;
  return sendProblem(reply, { ...problemOf('invalid_import', detail), errors: error.issues } as ReturnType<typeof problemOf>);
}

function handleImportError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ImportInvalid) return sendImportInvalid(reply, error);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendProblem(reply, problemOf('body_too_large', 'The export is larger than 5 MiB; split it into several uploads.'));
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendProblem(reply, problemOf('unsupported_media_type', `The Content-Type "${String(request.headers['content-type'] ?? '').slice(0, 100)}" is not accepted; send the export as application/json or text/csv.`));
  }
  return handleAdminError(error, request, reply);
}

async function importRoute(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (request, body, done) => {
    try {
      done(null, parseStrictJson(decodeUtf8(body as Buffer, request.headers['content-type'])));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (request, body, done) => {
    try {
      done(null, decodeUtf8(body as Buffer, request.headers['content-type']));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setErrorHandler(handleImportError);

  const schema = { querystring: NoQuery, body: { content: { 'application/json': { schema: ImportJsonSchema }, 'text/csv': { schema: Type.String() } } } };
  app.post('/migrations/imports', { schema, attachValidation: true }, async (request, reply) => {
    requireRole(request, 'admin');
    const format = String(request.headers['content-type'] ?? '').toLowerCase().startsWith('text/csv') ? 'csv' : 'json';
    const parsed = parseExport(request.body, format);

    const [instances, policy, names, mappings] = await Promise.all([
      instanceIndex(ctx.db),
      ctx.policies.current(),
      ctx.db.selectFrom('service_accounts').select('name').execute(),
      ctx.db.selectFrom('migration_mappings').select(['source_email', 'account_id']).execute(),
    ]);
    const context = {
      instances,
      policy,
      owners: parsed.owners,
      takenNames: new Set(names.map((row) => row.name.toLowerCase())),
      migratedEmails: new Map(mappings.map((row) => [row.source_email.toLowerCase(), row.account_id])),
    };

    const now = ctx.clock.now();
    const row: MigrationImportRow = { id: newId(), format, account_count: parsed.accounts.length, created_at: now, created_by: request.admin!.id };
    const proposals: MigrationProposalRow[] = parsed.accounts.map((source, position) => {
      const { proposal, problems } = proposeAccount(source, context);
      return { id: newId(), import_id: row.id, position, source: JSON.stringify(source), proposal: JSON.stringify(proposal), problems: JSON.stringify(problems), status: 'pending', decided_at: null, decided_by: null, account_id: null };
    });
    const withProblems = proposals.filter((proposal) => proposal.problems !== '[]').length;

    await ctx.audit.transaction(async (trx) => {
      await insertImport(trx, row, proposals);
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'migration.imported', target: { type: 'migration_import', id: row.id }, source: sourceOf(request), outcome: 'success', details: { format, accounts: proposals.length, withProblems } },
      ]);
    });
    return reply.code(201).send({ ...importView(row, { pending: proposals.length }), items: proposals.map(proposalView) });
  });
}

export async function migrationRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  // Imports hold people's names and reach across instances, and the manifest lists every account.
  app.addHook('onRequest', async (request) => rejectInstanceAdmin(request, 'Migration imports and the manifest'));
  await app.register(async (scope) => importRoute(scope, ctx));
  await app.register(async (scope) => migrationDecisionRoutes(scope, ctx));

  app.get('/migrations/imports', { schema: { querystring: NoQuery } }, async () => {
    // NOTE: lists the newest imports only, without paging; older ones stay readable by id.
    const rows = await listImports(ctx.db, MAX_LISTED_IMPORTS);
    const counts = await countProposalsByStatus(ctx.db, rows.map((row) => row.id));
    const countsOf = (id: string) => Object.fromEntries(counts.filter((entry) => entry.importId === id).map((entry) => [entry.status, entry.count]));
    return { items: rows.map((row) => importView(row, countsOf(row.id))), nextCursor: null };
  });

  app.get('/migrations/imports/:id', { schema: { params: IdParams, querystring: NoQuery } }, async (request) => {
    const id = (request.params as { id: string }).id;
    const row = await findImport(ctx.db, id);
    if (!row) throw new RequestError('not_found', `No import has the id "${id}"; list imports with GET /api/v1/migrations/imports.`);

    const proposals = await proposalsOf(ctx.db, row.id);
    const counts: Record<string, number> = {};
    for (const proposal of proposals) counts[proposal.status] = (counts[proposal.status] ?? 0) + 1;
    return { ...importView(row, counts), items: proposals.map(proposalView), nextCursor: null };
  });

  app.get('/migrations/manifest', { schema: { querystring: NoQuery } }, async (request, reply) => {
    const manifest = await buildManifest(ctx.db, ctx.config.issuer, ctx.clock.now());
    await ctx.audit.write({ actor: adminActor(request), action: 'migration.manifest_exported', source: sourceOf(request), outcome: 'success', details: { accounts: manifest.accounts.length } });
    return reply.header('content-disposition', 'attachment; filename="tessera-manifest.json"').send(manifest);
  });
}
