import assert from 'node:assert/strict';
import type { TestServer } from './server.js';

/** Fetches GET /metrics from the test server over loopback and returns the text. */
export async function scrape(server: TestServer, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${server.baseUrl}/metrics`, { headers });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return text;
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(',');
}

/**
 * Returns the value of one sample of the Prometheus text format, or undefined when the series
 * is absent. Labels must be given in the order the metric declares them.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const key = Object.keys(labels).length > 0 ? `${name}{${labelText(labels)}}` : name;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${key} `));
  return line === undefined ? undefined : Number(line.slice(key.length + 1));
}

/** Like sample(), but fails when the series is absent, and returns 0 for no other reason. */
export function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const found = sample(text, name, labels);
  assert.notEqual(found, undefined, `no sample ${name} ${labelText(labels)} in the metrics`);
  return found as number;
}
