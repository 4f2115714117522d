const LABELS: Record<string, string> = {
  active: 'Active',
  disabled: 'Disabled',
  expired: 'Expired',
  revoked: 'Revoked',
  success: 'Success',
  failure: 'Failure',
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
  accepted: 'Accepted',
  rejected: 'Rejected',
};

/** Renders a status word in a coloured badge. The word carries the meaning, and the colour only repeats it. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{LABELS[status] ?? status}</span>;
}
