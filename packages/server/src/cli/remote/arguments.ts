import { InvalidArgumentError } from 'commander';

/** Parses a whole number in a range, for option values such as days or seconds. */
export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^[0-9]{1,10}$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return Number(value);
  };
}

/** Collects a repeatable option's values in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Builds a query string from the options that are set. */
export function queryString(parameters: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined) query.set(key, String(value));
  const text = query.toString();
  return text ? `?${text}` : '';
}
