/** The check that every token response the load generator counted has its audit event. */
import { type LoadOptions, type LoadResult, log } from './load.js';
import type { AdminSession } from './tessera-client.js';

/**
 * Compares the audit events a server added during the load with the token responses
 * autocannon counted from it plus `tokensOutsideLoad`, the tokens the script requested
 * itself in that time, and returns a sentence for the report and whether the check failed.
 */
export async function checkAudit(
  label: string,
  admin: AdminSession,
  auditSeqBefore: number,
  results: LoadResult[],
  options: LoadOptions,
  tokensOutsideLoad = 0,
): Promise<{ sentence: string; failed: boolean }> {
  const auditEventsAdded = (await admin.latestAuditSeq()) - auditSeqBefore;
  const tokenResponses = results.reduce((sum, result) => sum + result.responses + result.warmupResponses, 0) + tokensOutsideLoad;
  // Each autocannon run (warm-up and measured) can leave one request per connection uncounted.
  const autocannonRuns = results.length * (options.warmup > 0 ? 2 : 1);
  const maxUncounted = autocannonRuns * options.connections;
  const difference = auditEventsAdded - tokenResponses;

  const sentence =
    `Audit check, ${label}: ${auditEventsAdded} audit events were added during the load and autocannon counted ${tokenResponses - tokensOutsideLoad} token responses (warm-ups included)` +
    (tokensOutsideLoad > 0 ? `, plus ${tokensOutsideLoad} ${tokensOutsideLoad === 1 ? 'token' : 'tokens'} that the script requested itself for the introspection runs, ${tokenResponses} in all. ` : '. ') +
    `The difference is ${difference}. Requests still in flight when an autocannon run stops are completed by the server but not counted, ` +
    `which is at most ${options.connections} connections × ${autocannonRuns} runs = ${maxUncounted}.`;
  if (difference < 0) log(`${label}: fewer audit events (${auditEventsAdded}) than token responses (${tokenResponses}), so some token response was sent without its audit event`);
  if (difference > maxUncounted) log(`${label}: ${difference} more audit events than counted token responses, above the ${maxUncounted} that uncounted in-flight requests explain`);
  return { sentence, failed: difference < 0 || difference > maxUncounted };
}
