/** Shapes of the report and notification endpoints of the admin API. */

export interface ExpiringCredential {
  credentialId: string;
  accountId: string;
  accountName: string;
  accountStatus: 'active' | 'disabled';
  owner: string;
  createdAt: string;
  expiresAt: string;
  daysLeft: number;
  lastUsedAt: string | null;
}

export interface UnusedAccount {
  id: string;
  clientId: string;
  name: string;
  owner: string;
  status: 'active' | 'disabled';
  createdAt: string;
  lastUsedAt: string | null;
  unusedDays: number;
  dormantSince: string | null;
}

export interface NotificationDelivery {
  id: string;
  eventType: string;
  accountId: string;
  /** Null once the account is deleted; absent from the response to a retry. */
  accountName?: string | null;
  credentialId: string | null;
  channel: 'email' | 'webhook';
  target: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}
