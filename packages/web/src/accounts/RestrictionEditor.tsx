import { TextField } from '../components/TextField';
import { parseIdList } from '../validation';
import type { RestrictionDraft, RestrictionMode } from './access-draft';

interface RestrictionEditorProps {
  idPrefix: string;
  type: string;
  value: RestrictionDraft;
  onChange: (value: RestrictionDraft) => void;
  error?: string;
}

const MODES: { mode: RestrictionMode; label: (type: string) => string }[] = [
  { mode: 'none', label: () => 'No access' },
  { mode: 'all', label: (type) => `All (every ${type}, "*")` },
  { mode: 'list', label: () => 'Only these ids' },
];

/** Chooses the resources of one type a grant reaches: none, all, or a list of ids. */
export function RestrictionEditor({ idPrefix, type, value, onChange, error }: RestrictionEditorProps) {
  const id = `${idPrefix}-resource-${type}`;
  const errorId = `${id}-error`;
  const count = parseIdList(value.ids).length;

  return (
    <fieldset className="restriction" aria-describedby={error && value.mode !== 'list' ? errorId : undefined}>
      <legend>
        Resource type <code>{type}</code>
      </legend>
      <div className="radio-row">
        {MODES.map(({ mode, label }) => (
          <label key={mode} className="radio">
            <input type="radio" name={`${id}-mode`} value={mode} checked={value.mode === mode} onChange={() => onChange({ ...value, mode })} />
            {label(type)}
          </label>
        ))}
      </div>
      {value.mode === 'list' ? (
        <TextField
          id={`${id}-ids`}
          label={`${type} ids`}
          value={value.ids}
          onChange={(ids) => onChange({ ...value, ids })}
          error={error}
          hint={count === 0 ? 'No ids listed yet, so this grant reaches no resource of this type. Separate ids with commas or spaces.' : `${count} listed. Separate ids with commas or spaces.`}
        />
      ) : error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
