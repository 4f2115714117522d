import type { AdminRole } from '../api/types';

/** Client-side copies of the server's rules for admins; the server checks again and its response wins. */

export const MIN_PASSWORD_LENGTH = 12;
const USERNAME = /^[A-Za-z0-9._@-]+$/;

export const ROLE_OPTIONS: { value: AdminRole; label: string }[] = [
  { value: 'admin', label: 'admin: manages everything' },
  { value: 'instance-admin', label: 'instance-admin: manages the accounts of chosen instances' },
  { value: 'auditor', label: 'auditor: reads everything, changes nothing' },
];

export function checkUsername(value: string): string | undefined {
  if (value.length === 0) return 'Enter a username.';
  if (value.length > 100) return `Use at most 100 characters (now ${value.length}).`;
  if (!USERNAME.test(value)) return 'Use letters, digits and the characters . _ @ - only, with no spaces.';
  return undefined;
}

export function checkPassword(value: string): string | undefined {
  if (value.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters (now ${value.length}).`;
  if (value.length > 1024) return 'Use at most 1024 characters.';
  return undefined;
}

/** Checks that an instance-admin has at least one instance. The other roles take none, and the form sends none for them. */
export function checkInstances(role: AdminRole, instanceIds: string[]): string | undefined {
  return role === 'instance-admin' && instanceIds.length === 0 ? 'Choose at least one instance for an instance-admin.' : undefined;
}
