/** Date and number formatting in the admin's locale and time zone. */

const fullFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const secondsFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayMonthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
// `always` gives "in 1 month" rather than the vaguer "next month".
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'always' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** Full local timestamp with weekday, seconds and time zone, for hover text. */
export function formatFull(iso: string): string {
  return fullFormat.format(new Date(iso));
}

export function formatDate(iso: string): string {
  return dateFormat.format(new Date(iso));
}

export function formatDateTime(iso: string): string {
  return dateTimeFormat.format(new Date(iso));
}

export function formatSeconds(iso: string): string {
  return secondsFormat.format(new Date(iso));
}

/** Month and day of a calendar date given as YYYY-MM-DD, such as "Nov 5", without a time-zone shift. */
export function formatCalendarDay(date: string): string {
  return dayMonthFormat.format(new Date(`${date}T00:00:00Z`));
}

/** Relative time such as "3 days ago" or "in 2 months", measured from `now`. */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return seconds < 0 ? 'just now' : 'in under a minute';
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days from now until `iso`, negative once it has passed. */
export function daysUntil(iso: string, now = Date.now()): number {
  return Math.floor((new Date(iso).getTime() - now) / DAY_MS);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
