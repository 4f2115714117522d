import { TextField } from '../components/TextField';
import { DAY_MS, formatDate } from '../format';
import { EXPIRY_PRESETS, type ExpiryDraft, MAX_EXPIRY_DAYS, expiryDays, isoDay } from './expiry';

interface ExpiryPickerProps {
  idPrefix: string;
  value: ExpiryDraft;
  onChange: (value: ExpiryDraft) => void;
  error?: string;
  /** The policy's maximum credential lifetime in days, shown as a hint. The server enforces it. */
  policyMaxDays?: number | null;
}

/** Chooses when a new credential expires: after 30, 90, 180 or 365 days, or on a date. */
export function ExpiryPicker({ idPrefix, value, onChange, error, policyMaxDays }: ExpiryPickerProps) {
  const { days } = expiryDays(value);
  const now = Date.now();
  const errorId = `${idPrefix}-expiry-error`;

  return (
    <fieldset className="expiry" aria-describedby={error && value.choice === 'preset' ? errorId : undefined}>
      <legend>Credential expires</legend>
      <div className="radio-row">
        {EXPIRY_PRESETS.map((preset) => (
          <label key={preset} className="radio">
            <input type="radio" name={`${idPrefix}-expiry`} checked={value.choice === 'preset' && value.presetDays === preset} onChange={() => onChange({ ...value, choice: 'preset', presetDays: preset })} />
            In {preset} days
          </label>
        ))}
        <label className="radio">
          <input type="radio" name={`${idPrefix}-expiry`} checked={value.choice === 'date'} onChange={() => onChange({ ...value, choice: 'date' })} />
          On a date
        </label>
      </div>
      {value.choice === 'date' ? (
        <TextField
          id={`${idPrefix}-expiry-date`}
          label="Expiry date"
          type="date"
          value={value.date}
          min={isoDay(new Date(now + DAY_MS))}
          max={isoDay(new Date(now + MAX_EXPIRY_DAYS * DAY_MS))}
          onChange={(date) => onChange({ ...value, date })}
          error={error}
        />
      ) : error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
      {policyMaxDays != null ? <p className="field-hint">The organisation's policy allows credentials of at most {policyMaxDays} days.</p> : null}
      {days !== undefined ? <p className="field-hint">The secret stops working on {formatDate(new Date(now + days * DAY_MS).toISOString())}.</p> : null}
    </fieldset>
  );
}
