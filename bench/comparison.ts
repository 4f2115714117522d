/**
 * The comparison columns of the token benchmark: each target's median against the peer's
 * median of the same request kind and against bare node:http, and whether Tessera meets its
 * throughput goals against the peer.
 */
import type { Column } from './report.js';
import { type TargetResults, medianRate } from './tables.js';
import { BARE_LABEL, type ComparedTarget, INTROSPECTION, OPAQUE_INTROSPECTION, PEER_LABEL, type RequestKind } from './token-targets.js';

/**
 * Tessera's goals on one core with a durable audit event for every token: at least this many
 * times the peer's rate for the same request kind, measured in the same benchmark.
 */
export const GOALS: Record<RequestKind, number> = {
  'token, client_secret_basic': 2.5,
  'token, client_secret_post': 2.5,
  introspection: 1.5,
  'introspection, opaque token': 1.5,
};

export interface ComparedResults extends TargetResults {
  target: ComparedTarget;
}

function formatRatio(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Returns the median rate of the peer for `kind`, or NaN without one. */
function peerRate(rows: ComparedResults[], kind: RequestKind): number {
  // The peer's introspection target introspects an opaque token, so both Tessera introspection rows compare with it.
  const peerKind = kind === OPAQUE_INTROSPECTION ? INTROSPECTION : kind;
  const peer = rows.find((row) => row.target.role === 'peer' && row.target.kind === peerKind);
  return peer ? medianRate(peer.results) : Number.NaN;
}

/** Returns the ratio to the peer of a Tessera row, or null for the peer's and the bare server's rows. */
function ratioToPeer(row: ComparedResults, rows: ComparedResults[]): number | null {
  if (row.target.role !== 'tessera') return null;
  return medianRate(row.results) / peerRate(rows, row.target.kind);
}

/** Returns the columns "Ratio to the peer", "Ratio to bare node:http" and the goal column. */
export function comparisonColumns(rows: ComparedResults[]): Column<ComparedResults>[] {
  const bare = rows.find((row) => row.target.role === 'bare');
  const bareRate = bare ? medianRate(bare.results) : Number.NaN;

  return [
    {
      header: `Ratio to ${PEER_LABEL}`,
      numeric: true,
      value: (row) => {
        if (row.target.role === 'peer') return '1 (baseline)';
        const ratio = ratioToPeer(row, rows);
        return ratio === null ? 'n/a' : formatRatio(ratio, 2);
      },
    },
    {
      header: `Ratio to ${BARE_LABEL}`,
      numeric: true,
      value: (row) => (row.target.role === 'bare' ? '1 (baseline)' : formatRatio(medianRate(row.results) / bareRate, 3)),
    },
    {
      header: `Target against ${PEER_LABEL}`,
      numeric: false,
      value: (row) => {
        const ratio = ratioToPeer(row, rows);
        if (ratio === null) return '-';
        const goal = GOALS[row.target.kind];
        if (!Number.isFinite(ratio)) return `n/a (goal ≥ ${goal} ×)`;
        return `${ratio >= goal ? 'met' : 'missed'}: ${ratio.toFixed(2)} × (goal ≥ ${goal} ×)`;
      },
    },
  ];
}

/** Returns the note under the summary table that explains the comparison columns. */
export function comparisonNote(): string {
  return (
    `"Ratio to ${PEER_LABEL}" divides a Tessera median by the peer's median for the same request kind. Tessera's "${INTROSPECTION}" introspects one of its JWTs ` +
    `and "${OPAQUE_INTROSPECTION}" one of its opaque tokens, and both compare with the peer's introspection of an opaque token. "Ratio to ${BARE_LABEL}" divides by the bare server's median for the Basic token request. ` +
    `The target column compares the ratio to the peer with Tessera's goals on one core with a durable audit event for every token: ` +
    `${GOALS['token, client_secret_basic']} × the peer's token rate and ${GOALS.introspection} × its opaque-token introspection rate. ` +
    `The peer keeps its opaque tokens in its default in-memory store and writes no audit log.`
  );
}
