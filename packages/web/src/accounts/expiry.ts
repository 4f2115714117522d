import { DAY_MS } from '../format';

export const EXPIRY_PRESETS = [30, 90, 180, 365] as const;
export const MAX_EXPIRY_DAYS = 3650;

/** The credential-expiry choice as the form edits it: a preset number of days, or a calendar date. */
export interface ExpiryDraft {
  choice: 'preset' | 'date';
  presetDays: number;
  /** YYYY-MM-DD from a date input. */
  date: string;
}

export const DEFAULT_EXPIRY: ExpiryDraft = { choice: 'preset', presetDays: 90, date: '' };

/** Counts the whole days from now to the start of a local calendar date, rounded up, so that the credential lasts into that day. */
export function daysUntilDate(date: string, now = Date.now()): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return undefined;
  const target = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime();
  return Math.ceil((target - now) / DAY_MS);
}

/** Returns `expiresInDays` for the request, or an error message. */
export function expiryDays(draft: ExpiryDraft): { days?: number; error?: string } {
  if (draft.choice === 'preset') return { days: draft.presetDays };
  const days = daysUntilDate(draft.date);
  if (days === undefined) return { error: 'Choose a date.' };
  if (days < 1) return { error: 'Choose a date after today.' };
  if (days > MAX_EXPIRY_DAYS) return { error: `Choose a date at most ${MAX_EXPIRY_DAYS} days (about 10 years) from now.` };
  return { days };
}

/** Formats a Date as YYYY-MM-DD in local time, for a date input's min and max. */
export function isoDay(date: Date): string {
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${date.getFullYear()}-${month}-${day}`;
}
