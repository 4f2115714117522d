/** A column of a table: its header and how to read the cell from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  // Control characters in names or user agents would break the layout, or move the terminal's cursor.
  return String(value).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** Formats rows as a table with an upper-case header and columns padded to their widest cell. */
export function formatTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((line) => line[index].length)));
  const line = (values: string[]) => values.map((value, index) => (index === values.length - 1 ? value : value.padEnd(widths[index]))).join('  ');
  return [line(columns.map((column) => column.header.toUpperCase())), ...cells.map(line)].join('\n');
}

/** Formats one object as `key: value` lines, for commands that show a single resource. */
export function formatRecord(fields: [string, unknown][]): string {
  const width = Math.max(...fields.map(([key]) => key.length));
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${cellText(value)}`).join('\n');
}

export interface OutputFlags {
  json?: boolean;
}

/** Prints the API's JSON with --json, and the human-readable text otherwise. */
export function print(flags: OutputFlags, data: unknown, human: () => string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}
