/** Shapes of GET /api/v1/reports/seats. */

export interface SeatReportItem {
  instance: { id: string; slug: string; name: string; profile: string };
  humans: {
    licensedUsers: number;
    activeUsers: number | null;
    reportedVia: 'product' | 'admin';
    reportedBy: { type: string; id: string; name: string | null } | null;
    reportedAt: string;
    changedAt: string;
  } | null;
  serviceAccounts: { total: number; active: number; disabled: number };
  serviceAccountSeats: number;
  licensedSeats: number | null;
}

export interface SeatReport {
  generatedAt: string;
  items: SeatReportItem[];
  totals: {
    instances: number;
    instancesReported: number;
    licensedUsers: number;
    activeUsers: number | null;
    serviceAccounts: { total: number; active: number; disabled: number };
    serviceAccountSeats: number;
  };
}
