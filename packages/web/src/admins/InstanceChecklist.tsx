import type { Instance } from '../api/types';

interface InstanceChecklistProps {
  idPrefix: string;
  instances: Instance[];
  selected: string[];
  onChange: (selected: string[]) => void;
  error?: string;
}

/** Checkboxes that choose the instances an instance-admin manages, by instance id. */
export function InstanceChecklist({ idPrefix, instances, selected, onChange, error }: InstanceChecklistProps) {
  const errorId = `${idPrefix}-instances-error`;
  // The built-in admin API instance cannot be given to an instance-admin; the server rejects it.
  const choices = instances.filter((instance) => instance.profile !== 'tessera');
  const toggle = (id: string, checked: boolean) => onChange(checked ? [...selected, id] : selected.filter((other) => other !== id));

  return (
    <fieldset aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined}>
      <legend>Instances</legend>
      {choices.length === 0 ? <p className="field-hint">No product instances yet; add one under Instances first.</p> : null}
      {choices.map((instance) => (
        <label key={instance.id} className="checkbox">
          <input type="checkbox" checked={selected.includes(instance.id)} onChange={(event) => toggle(instance.id, event.target.checked)} />
          {instance.name} ({instance.slug})
        </label>
      ))}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
