import { createContext, useContext } from 'react';
import type { Admin } from './api/types';

export interface SessionState {
  admin: Admin | undefined;
  /** Goes up each time the admin signs in, so that screens reload what failed while signed out. */
  version: number;
  signOut: () => void;
}

export const SessionContext = createContext<SessionState>({ admin: undefined, version: 0, signOut: () => undefined });

export function useSession(): SessionState {
  return useContext(SessionContext);
}

export function useSessionVersion(): number {
  return useContext(SessionContext).version;
}

/** Returns whether the signed-in admin may change things, since auditors only read. */
export function useCanEdit(): boolean {
  return useContext(SessionContext).admin?.role === 'admin';
}
