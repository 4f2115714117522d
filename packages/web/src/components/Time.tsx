import { formatDate, formatDateTime, formatFull, formatRelative, formatSeconds } from '../format';

interface TimeProps {
  value: string | null;
  /** `relative` shows "3 days ago", `date` the day, `datetime` day and minute, `seconds` day and second; the full timestamp is always the hover text. */
  format?: 'relative' | 'date' | 'datetime' | 'seconds';
  /** Text for a missing time, such as "Never". */
  empty?: string;
}

/** Renders a timestamp in the admin's local time, with the full local timestamp as its title. */
export function Time({ value, format = 'relative', empty = '—' }: TimeProps) {
  if (!value) return <span className="muted">{empty}</span>;

  let text = formatRelative(value);
  if (format === 'date') text = formatDate(value);
  if (format === 'datetime') text = formatDateTime(value);
  if (format === 'seconds') text = formatSeconds(value);
  return (
    <time dateTime={value} title={formatFull(value)}>
      {text}
    </time>
  );
}
