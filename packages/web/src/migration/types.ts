import type { AccessGrant, CreatedAccount } from '../api/types';

/** Shapes of the migration routes under /api/v1/migrations. */

export interface ImportSummary {
  id: string;
  format: 'json' | 'csv';
  accountCount: number;
  createdAt: string;
  createdBy: string;
  proposals: { pending: number; accepted: number; rejected: number };
}

export interface Proposal {
  id: string;
  importId: string;
  position: number;
  status: 'pending' | 'accepted' | 'rejected';
  source: { name: string; email: string; groups: string[] };
  proposal: { name: string; description: string; owner: string; purpose: string; access: AccessGrant[] };
  problems: Array<{ code: string; instance?: string; message: string }>;
  decidedAt: string | null;
  accountId: string | null;
}

export interface ImportDetail extends ImportSummary {
  items: Proposal[];
}

export interface AcceptedProposal {
  proposal: Proposal;
  account: CreatedAccount;
}
