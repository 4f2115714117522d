import type { AdminRole } from './api/types';

const ALL_ROLES: AdminRole[] = ['admin', 'instance-admin', 'auditor'];

/** The pages in the main navigation, with the roles that see them. */
export const NAV_SECTIONS: { href: string; label: string; roles: AdminRole[] }[] = [
  { href: '/service-accounts', label: 'Service accounts', roles: ALL_ROLES },
  { href: '/reports', label: 'Expiring and unused', roles: ALL_ROLES },
  { href: '/audit', label: 'Audit log', roles: ALL_ROLES },
  { href: '/instances', label: 'Instances', roles: ALL_ROLES },
  { href: '/policy', label: 'Policy', roles: ALL_ROLES },
  { href: '/seats', label: 'Seats', roles: ALL_ROLES },
  // Migration imports and the manifest cover the whole organisation, so the server rejects instance-admins.
  { href: '/migration', label: 'Migration', roles: ['admin', 'auditor'] },
  { href: '/admins', label: 'Admins', roles: ['admin'] },
];

/** Pages that only some roles may open, by path prefix or pattern, with the roles allowed. */
const RESTRICTED_PAGES: { matches: (pathname: string) => boolean; roles: AdminRole[] }[] = [
  { matches: (pathname) => pathname === '/admins' || pathname.startsWith('/admins/'), roles: ['admin'] },
  { matches: (pathname) => pathname === '/migration' || pathname.startsWith('/migration/'), roles: ['admin', 'auditor'] },
  { matches: (pathname) => pathname === '/service-accounts/new', roles: ['admin', 'instance-admin'] },
  { matches: (pathname) => pathname === '/instances/new' || /^\/instances\/[^/]+\/edit$/.test(pathname), roles: ['admin'] },
];

/** Returns why `role` may not open `pathname`, or undefined when it may. */
export function pageBlock(pathname: string, role: AdminRole): string | undefined {
  const rule = RESTRICTED_PAGES.find((candidate) => candidate.matches(pathname));
  if (!rule || rule.roles.includes(role)) return undefined;
  return `This page needs the ${rule.roles.join(' or ')} role; you are signed in as ${role}.`;
}
