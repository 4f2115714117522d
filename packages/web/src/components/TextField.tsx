import type { ReactNode } from 'react';

interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  error?: string;
  hint?: ReactNode;
  type?: 'text' | 'password' | 'url' | 'number' | 'date' | 'datetime-local' | 'search';
  multiline?: boolean;
  required?: boolean;
  autoComplete?: string;
  inputMode?: 'text' | 'numeric' | 'url';
  placeholder?: string;
  disabled?: boolean;
  className?: string;
  min?: string;
  max?: string;
}

/**
 * Renders a labelled input with its hint and error text linked through aria-describedby, and
 * aria-invalid set while the error shows.
 */
export function TextField(props: TextFieldProps) {
  const { id, label, value, onChange, onBlur, error, hint, type = 'text', multiline, required, className } = props;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;

  const common = {
    id,
    name: id,
    value,
    required,
    disabled: props.disabled,
    placeholder: props.placeholder,
    autoComplete: props.autoComplete,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
    onBlur,
  };

  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span className="required-mark"> (required)</span> : null}
      </label>
      {multiline ? (
        <textarea {...common} rows={3} onChange={(event) => onChange(event.target.value)} />
      ) : (
        <input {...common} type={type} inputMode={props.inputMode} min={props.min} max={props.max} onChange={(event) => onChange(event.target.value)} />
      )}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
