import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import { problemOf } from '../api/client';
import type { Problem } from '../api/types';

/** Checks whether a server `field` path such as `access[0].scopes[1]` falls under a form key such as `access[0].scopes`. */
export function fieldMatches(serverField: string | undefined, key: string): boolean {
  if (!serverField) return false;
  return serverField === key || serverField.startsWith(`${key}.`) || serverField.startsWith(`${key}[`);
}

export interface FormState {
  formRef: RefObject<HTMLFormElement | null>;
  /** The error to show next to a field: the client-side rule once the field was edited or the form submitted, else the server's detail. */
  errorFor: (key: string) => string | undefined;
  /** Marks a field as edited, which shows its client-side error and clears a server error about it. */
  touch: (key: string) => void;
  /** Starts a submit: returns false and focuses the first invalid field when a client-side rule fails. */
  beginSubmit: () => boolean;
  /** Records a rejected request and focuses the field it names. */
  fail: (error: unknown) => void;
  problem: Problem | undefined;
  /** The server problem when it names no field of this form, to show above the buttons. */
  formProblem: Problem | undefined;
  clearProblem: () => void;
}

/**
 * Tracks which fields show errors. `clientErrors` maps form keys to the message of a broken
 * rule. The keys are the server's field paths (`name`, `access[0].scopes`), so a rejected
 * request's `field` lands on the matching input. `fieldKeys` lists every key that has an input.
 */
export function useFormState(clientErrors: Record<string, string | undefined>, fieldKeys: string[]): FormState {
  const formRef = useRef<HTMLFormElement>(null);
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  // Counts requests to focus the first invalid field. The focus happens in an effect, after React
  // has committed aria-invalid. An animation frame could run before that commit on a busy machine.
  const [focusRequest, setFocusRequest] = useState(0);

  useEffect(() => {
    if (focusRequest > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusRequest]);

  const touch = useCallback((key: string) => {
    setTouched((previous) => (previous.has(key) ? previous : new Set(previous).add(key)));
    setProblem((previous) => (previous && fieldMatches(previous.field, key) ? undefined : previous));
  }, []);

  const serverKey = problem?.field ? fieldKeys.filter((key) => fieldMatches(problem.field, key)).sort((a, b) => b.length - a.length)[0] : undefined;

  const errorFor = (key: string) => {
    const clientError = submitted || touched.has(key) ? clientErrors[key] : undefined;
    if (clientError) return clientError;
    return serverKey === key ? problem?.detail : undefined;
  };

  const beginSubmit = () => {
    setSubmitted(true);
    setProblem(undefined);
    const valid = Object.values(clientErrors).every((message) => !message);
    if (!valid) setFocusRequest((count) => count + 1);
    return valid;
  };

  const fail = (error: unknown) => {
    const next = problemOf(error);
    setProblem(next);
    if (next.field) setFocusRequest((count) => count + 1);
  };

  return {
    formRef,
    errorFor,
    touch,
    beginSubmit,
    fail,
    problem,
    formProblem: problem && !serverKey ? problem : undefined,
    clearProblem: () => setProblem(undefined),
  };
}
