import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { useLocation } from '../router';

/** A message for the page the panel goes to next, such as "Deleted nightly-export." after a delete. */
interface Flash {
  path: string;
  message: string;
  /** Path and query string where the message was first shown; any other address ends it. */
  shownAt?: string;
}

let flash: Flash | undefined;
const listeners = new Set<() => void>();

export function setFlash(path: string, message: string): void {
  flash = { path, message };
  for (const listener of listeners) listener();
}

export function clearFlash(): void {
  if (!flash) return;
  flash = undefined;
  for (const listener of listeners) listener();
}

function useFlash(): Flash | undefined {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => flash,
  );
}

/** Calls `clear` when any form on the page is submitted, which starts the admin's next action. */
function useClearOnSubmit(clear: () => void, active: boolean): void {
  useEffect(() => {
    if (!active) return;
    document.addEventListener('submit', clear, true);
    return () => document.removeEventListener('submit', clear, true);
  }, [clear, active]);
}

/** Returns the flash message for the current page. It goes away on the next navigation, filter change or form submit. */
export function useCurrentFlash(): string | undefined {
  const location = useLocation();
  const current = useFlash();

  useEffect(() => {
    if (!current) return;
    if (current.path !== location.pathname || (current.shownAt !== undefined && current.shownAt !== location.href)) clearFlash();
    // Only bookkeeping, so the listeners are not notified.
    else current.shownAt = location.href;
  }, [current, location.pathname, location.href]);
  useClearOnSubmit(clearFlash, current !== undefined);

  return current && current.path === location.pathname ? current.message : undefined;
}

/**
 * Holds a success message for the page that set it, such as "Saved the details.". It goes
 * away on the next navigation (including a tab or filter change) or form submit.
 */
export function useTransientMessage(): [string, (message: string) => void] {
  const location = useLocation();
  const [state, setState] = useState<{ message: string; href: string }>();
  const clear = useCallback(() => setState(undefined), []);
  useClearOnSubmit(clear, state !== undefined);

  // Coming back to the same address later must not bring the message back.
  useEffect(() => {
    if (state && state.href !== location.href) setState(undefined);
  }, [state, location.href]);

  const message = state && state.href === location.href ? state.message : '';
  return [message, (next: string) => setState({ message: next, href: window.location.pathname + window.location.search })];
}
