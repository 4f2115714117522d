import { useCallback, useEffect, useRef, useState } from 'react';
import { useSessionVersion } from '../session-context';
import { api, problemOf } from './client';
import type { Problem } from './types';

export interface Resource<T> {
  /** The last loaded body; while a new path loads, the previous one stays so that tables do not flicker. */
  data: T | undefined;
  problem: Problem | undefined;
  /** True from the moment the path changes until its response arrives. */
  loading: boolean;
  reload: () => void;
  /**
   * Shows a body the caller already has for `forPath`, such as the response to a change, until
   * the next load. A body for a path that is no longer shown is ignored.
   */
  replace: (data: T, forPath: string) => void;
}

/**
 * Loads one admin API path with GET and reloads it when the path changes, when `reload` is
 * called, or after the admin signs in again. Pass null to load nothing.
 */
export function useResource<T>(path: string | null): Resource<T> {
  const sessionVersion = useSessionVersion();
  const [attempt, setAttempt] = useState(0);
  const key = path === null ? null : `${attempt}:${sessionVersion}:${path}`;
  const [state, setState] = useState<{ key?: string | null; data?: T; problem?: Problem }>({});

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    api.get<T>(path, controller.signal).then(
      (data) => setState({ key, data }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ key, problem: problemOf(error) });
      },
    );
    return () => controller.abort();
    // The key changes exactly when the path, the attempt or the session changes.
  }, [key]);

  const reload = useCallback(() => setAttempt((value) => value + 1), []);
  const shownPath = useRef(path);
  shownPath.current = path;
  const replace = useCallback((data: T, forPath: string) => {
    if (forPath === shownPath.current) setState((previous) => ({ key: previous.key, data }));
  }, []);
  const current = state.key === key;
  return {
    data: path === null ? undefined : state.data,
    problem: current ? state.problem : undefined,
    loading: path !== null && !current,
    reload,
    replace,
  };
}
