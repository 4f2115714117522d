import { timestamp } from '../admin-api/views.js';
import type { MigrationImportRow, MigrationProposalRow } from '../storage/tables.js';
import type { ProposalProblem, ProposedAccount } from './propose.js';
import type { SourceAccount } from './source-accounts.js';

export function proposalView(row: MigrationProposalRow) {
  return {
    id: row.id,
    importId: row.import_id,
    position: Number(row.position),
    status: row.status,
    source: JSON.parse(row.source) as SourceAccount,
    proposal: JSON.parse(row.proposal) as ProposedAccount,
    problems: JSON.parse(row.problems) as ProposalProblem[],
    decidedAt: timestamp(row.decided_at),
    decidedBy: row.decided_by,
    accountId: row.account_id,
  };
}

export function importView(row: MigrationImportRow, counts: Record<string, number>) {
  return {
    id: row.id,
    format: row.format,
    accountCount: Number(row.account_count),
    createdAt: timestamp(row.created_at),
    createdBy: row.created_by,
    proposals: { pending: counts.pending ?? 0, accepted: counts.accepted ?? 0, rejected: counts.rejected ?? 0 },
  };
}
