/** Medians, number formats and tables for the Markdown reports of the benchmarks. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Returns the median of the values that are not null, or null when every value is null. */
export function medianOfKnown(values: (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length > 0 ? median(known) : null;
}

export function formatLatency(milliseconds: number | null): string {
  return milliseconds === null ? 'n/a' : String(milliseconds);
}

export function formatCpu(share: number | null): string {
  return share === null ? 'n/a' : `${Math.round(share * 100)} %`;
}

/** One column of a Markdown table. */
export interface Column<Row> {
  header: string;
  /** Numbers are right-aligned, text left-aligned. */
  numeric: boolean;
  value: (row: Row) => string;
}

export function markdownTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const lines = [
    `| ${columns.map((column) => column.header).join(' | ')} |`,
    `|${columns.map((column) => (column.numeric ? '---:' : '---')).join('|')}|`,
  ];
  for (const row of rows) lines.push(`| ${columns.map((column) => column.value(row)).join(' | ')} |`);
  return lines.join('\n');
}

/**
 * Describes the code under test: the commit and the files under packages/ that differ from
 * it, because uncommitted server changes also change the figures.
 */
export function describeCode(): string {
  const repository = fileURLToPath(new URL('..', import.meta.url));
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repository, encoding: 'utf8' });
  if (commit.status !== 0) return 'Code: not a git checkout, so no commit is known.';

  const status = spawnSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: repository, encoding: 'utf8' });
  const changed = status.stdout.split('\n').filter((line) => line.trim() !== '').length;
  return `Code: commit ${commit.stdout.trim()}, with ${changed} uncommitted or untracked ${changed === 1 ? 'path' : 'paths'} under packages/ (\`git status --porcelain packages\`).`;
}
