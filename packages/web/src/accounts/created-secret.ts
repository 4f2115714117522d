import type { CreatedAccount } from '../api/types';

// The response of the create request, kept in memory only until the result page shows it, so
// that the secret never lands in the URL, history state or browser storage.
let created: CreatedAccount | undefined;

export function keepCreatedAccount(account: CreatedAccount): void {
  created = account;
}

export function peekCreatedAccount(id: string): CreatedAccount | undefined {
  return created?.id === id ? created : undefined;
}

export function forgetCreatedAccount(): void {
  created = undefined;
}
