import { useEffect, useState } from 'react';
import { api, problemOf } from '../api/client';
import type { AuditEvent, Credential, Page, Problem } from '../api/types';
import { useSessionVersion } from '../session-context';

const EVENTS_PER_QUERY = 50;
const MAX_CREDENTIAL_QUERIES = 10;

/**
 * Loads the newest audit events about one account: those it caused (actor), those done to it
 * (target), and those done to its credentials, whose target is the credential. The audit API
 * filters by one actor or target per request, so this merges several queries.
 */
export function useAccountEvents(accountId: string): { events: AuditEvent[] | undefined; problem: Problem | undefined; reload: () => void } {
  const sessionVersion = useSessionVersion();
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{ events?: AuditEvent[]; problem?: Problem }>({});

  useEffect(() => {
    const controller = new AbortController();
    const id = encodeURIComponent(accountId);
    const load = async () => {
      const credentials = await api.get<Page<Credential>>(`/service-accounts/${id}/credentials`, controller.signal);
      const targets = [accountId, ...credentials.items.slice(0, MAX_CREDENTIAL_QUERIES).map((credential) => credential.id)];
      const queries = [`actor=${id}`, ...targets.map((target) => `target=${encodeURIComponent(target)}`)];
      const pages = await Promise.all(queries.map((query) => api.get<Page<AuditEvent>>(`/audit-events?${query}&limit=${EVENTS_PER_QUERY}`, controller.signal)));

      const byId = new Map<string, AuditEvent>();
      for (const event of pages.flatMap((page) => page.items)) byId.set(event.id, event);
      return [...byId.values()].sort((a, b) => Number(b.id) - Number(a.id)).slice(0, EVENTS_PER_QUERY);
    };
    load().then(
      (events) => setState({ events }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ problem: problemOf(error) });
      },
    );
    return () => controller.abort();
  }, [accountId, attempt, sessionVersion]);

  return { events: state.events, problem: state.problem, reload: () => setAttempt((value) => value + 1) };
}
