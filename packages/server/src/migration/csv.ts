/** One CSV record and the line of the file it starts on, counted from 1. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';

  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses CSV as RFC 4180 describes it: comma-separated cells, double quotes around cells that
 * contain commas, quotes or line breaks, and `""` for a quote inside a quoted cell. Lines may
 * end in CRLF or LF. Blank lines are skipped. A stray quote or an unterminated quoted cell
 * raises CsvSyntaxError with its line, instead of being read as some other value.
 */
export function parseCsv(text: string): CsvRecord[] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let index = 0;

  while (index < input.length) {
    const start = line;
    const cells: string[] = [];

    for (;;) {
      let cell = '';
      if (input[index] === '"') {
        const quoteLine = line;
        index += 1;
        for (;;) {
          if (index >= input.length) throw new CsvSyntaxError(quoteLine, `line ${quoteLine}: a quoted cell is not closed; end it with a double quote.`);
          const char = input[index];
          if (char === '"' && input[index + 1] === '"') {
            cell += '"';
            index += 2;
          } else if (char === '"') {
            index += 1;
            break;
          } else {
            if (char === '\n') line += 1;
            cell += char;
            index += 1;
          }
        }
        const next = input[index];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new CsvSyntaxError(line, `line ${line}: text follows a closing double quote; quote the whole cell and write a quote inside it as "".`);
        }
      } else {
        while (index < input.length && input[index] !== ',' && input[index] !== '\n' && input[index] !== '\r') {
          if (input[index] === '"') throw new CsvSyntaxError(line, `line ${line}: a double quote appears inside an unquoted cell; quote the cell and write the quote as "".`);
          cell += input[index];
          index += 1;
        }
      }
      cells.push(cell);

      if (input[index] === ',') {
        index += 1;
        continue;
      }
      if (input[index] === '\r') index += 1;
      if (input[index] === '\n') index += 1;
      line += 1;
      break;
    }

    const blank = cells.length === 1 && cells[0] === '';
    if (!blank) records.push({ line: start, cells });
  }

  return records;
}
