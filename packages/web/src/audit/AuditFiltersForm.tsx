import { useEffect, useState } from 'react';
import { SelectField } from '../components/SelectField';
import { TextField } from '../components/TextField';
import { useFormState } from '../components/use-form-state';
import type { AuditFilters } from './audit-query';

interface AuditFiltersFormProps {
  filters: AuditFilters;
  onApply: (filters: AuditFilters) => void;
  /** Called with whether the form shows an error, so that the page can stop offering exports of filters the admin is correcting. */
  onErrorChange: (showsError: boolean) => void;
}

/** Converts an RFC 3339 timestamp to the local `YYYY-MM-DDTHH:mm` a datetime-local input shows. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** Converts a datetime-local value, read in the admin's time zone, to RFC 3339 UTC. */
function toRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const FIELD_KEYS = ['actor', 'action', 'target', 'outcome', 'from', 'to'];

const ACTION_PATTERN = /^[a-z_]+(\.[a-z_]+)*(\.\*)?$|^[a-z_]+\*$/;

/** Renders the audit-log filter form, which applies its filters when submitted. */
export function AuditFiltersForm({ filters, onApply, onErrorChange }: AuditFiltersFormProps) {
  const [actor, setActor] = useState(filters.actor ?? '');
  const [action, setAction] = useState(filters.action ?? '');
  const [target, setTarget] = useState(filters.target ?? '');
  const [outcome, setOutcome] = useState<string>(filters.outcome ?? '');
  const [from, setFrom] = useState(toLocalInput(filters.from));
  const [to, setTo] = useState(toLocalInput(filters.to));

  const fromIso = toRfc3339(from);
  const toIso = toRfc3339(to);
  const form = useFormState(
    {
      action: action && !ACTION_PATTERN.test(action.trim()) ? 'Use an action such as credential.rotated, or a prefix such as credential.*.' : undefined,
      from: from && !fromIso ? 'Enter a valid date and time.' : undefined,
      to: (to && !toIso ? 'Enter a valid date and time.' : undefined) ?? (fromIso && toIso && fromIso >= toIso ? 'Choose a time after "From".' : undefined),
    },
    FIELD_KEYS,
  );

  const showsError = FIELD_KEYS.some((key) => form.errorFor(key) !== undefined) || form.formProblem !== undefined;
  useEffect(() => onErrorChange(showsError), [showsError, onErrorChange]);

  const edit = (setter: (value: string) => void, key: string) => (value: string) => {
    setter(value);
    form.touch(key);
  };

  const apply = () => {
    if (!form.beginSubmit()) return;
    onApply({ actor: actor.trim() || undefined, action: action.trim() || undefined, target: target.trim() || undefined, outcome: outcome as AuditFilters['outcome'], from: fromIso, to: toIso });
  };

  return (
    <form
      ref={form.formRef}
      noValidate
      className="filters filters-audit"
      role="search"
      aria-label="Filter audit events"
      onSubmit={(event) => {
        event.preventDefault();
        apply();
      }}
    >
      <TextField id="audit-actor" label="Actor" value={actor} onChange={edit(setActor, 'actor')} error={form.errorFor('actor')} hint="An id, admin username, or account name or client ID" />
      <TextField id="audit-action" label="Action" value={action} onChange={edit(setAction, 'action')} error={form.errorFor('action')} placeholder="credential.*" hint="Exact, or a prefix such as token.*" />
      <TextField id="audit-target" label="Target ID" value={target} onChange={edit(setTarget, 'target')} error={form.errorFor('target')} />
      <SelectField
        id="audit-outcome"
        label="Outcome"
        value={outcome}
        onChange={edit(setOutcome, 'outcome')}
        options={[
          { value: '', label: 'Any' },
          { value: 'success', label: 'Success' },
          { value: 'failure', label: 'Failure' },
        ]}
      />
      <TextField id="audit-from" label="From" type="datetime-local" value={from} onChange={edit(setFrom, 'from')} error={form.errorFor('from')} />
      <TextField id="audit-to" label="To" type="datetime-local" value={to} onChange={edit(setTo, 'to')} error={form.errorFor('to')} />
      <div className="filter-buttons">
        <button type="submit" className="button button-primary">
          Apply filters
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            for (const setter of [setActor, setAction, setTarget, setOutcome, setFrom, setTo]) setter('');
            onApply({});
          }}
        >
          Clear
        </button>
      </div>
      {form.formProblem ? <p className="field-error">{form.formProblem.detail}</p> : null}
    </form>
  );
}
