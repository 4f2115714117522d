import { useSyncExternalStore } from 'react';

/** A message for the page the panel goes to next, such as "Deleted nightly-export." after a delete. */
interface Flash {
  path: string;
  message: string;
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

export function useFlash(): Flash | undefined {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => flash,
  );
}
