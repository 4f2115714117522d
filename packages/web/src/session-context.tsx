import { createContext, useContext } from 'react';
import type { Admin, AdminRole, ServiceAccount } from './api/types';

export interface SessionState {
  admin: Admin | undefined;
  /** Goes up each time the admin signs in, so that screens reload what failed while signed out. */
  version: number;
  signOut: () => void;
  /** Reads the session again, after a change to the signed-in admin's own role or instances. */
  refresh: () => void;
}

export const SessionContext = createContext<SessionState>({ admin: undefined, version: 0, signOut: () => undefined, refresh: () => undefined });

export function useSession(): SessionState {
  return useContext(SessionContext);
}

export function useSessionVersion(): number {
  return useContext(SessionContext).version;
}

export function useRole(): AdminRole | undefined {
  return useContext(SessionContext).admin?.role;
}

/**
 * Returns whether the signed-in admin may change organisation-wide things: instances, policy,
 * seat counts, notification retries and migration. Only the admin role may.
 */
export function useCanEdit(): boolean {
  return useRole() === 'admin';
}

/** Returns whether the signed-in admin may create service accounts, which auditors may not. */
export function useCanManageAccounts(): boolean {
  const role = useRole();
  return role === 'admin' || role === 'instance-admin';
}

/**
 * Returns why `admin` may not change `account`, or undefined when it may. An instance-admin may
 * change an account only when every grant of it is on an instance assigned to it, as the server checks.
 */
export function accountChangeBlock(admin: Admin | undefined, account: ServiceAccount): string | undefined {
  if (admin?.role === 'admin') return undefined;
  if (admin?.role !== 'instance-admin') return 'You are signed in as an auditor, so this account is read-only.';

  // NOTE: admin.instances is read at sign-in and page load, so when another admin changes them the
  // panel shows the old ones until a reload. The server checks every request against the current ones.
  const mine = new Set(admin.instances ?? []);
  const outside = account.access.filter((grant) => !grant.instanceId || !mine.has(grant.instanceId)).map((grant) => grant.instance);
  if (account.access.length === 0) return 'You can read this account but not change it: it has no access to an instance assigned to you, so only an admin may change it.';
  if (outside.length > 0) return `You can read this account but not change it: it also has access to ${outside.join(', ')}, which ${outside.length === 1 ? 'is' : 'are'} not assigned to you, so only an admin may change it.`;
  return undefined;
}
