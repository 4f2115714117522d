import type { Profile } from '../api/types';

interface ScopePickerProps {
  idPrefix: string;
  profile: Profile;
  selected: string[];
  onChange: (scopes: string[]) => void;
  error?: string;
  legend?: string;
  /** Lets admin-level scopes be chosen, as in the policy once its opt-in is on. */
  allowAdminLevel?: boolean;
  disabled?: boolean;
}

/**
 * Renders checkboxes for the scopes of a profile, each with what it allows and the scopes it implies.
 * Admin-level scopes are shown disabled with the reason, because the server rejects them,
 * unless `allowAdminLevel` is set.
 */
export function ScopePicker({ idPrefix, profile, selected, onChange, error, legend = 'Scopes', allowAdminLevel = false, disabled = false }: ScopePickerProps) {
  const errorId = `${idPrefix}-scopes-error`;
  const chosen = profile.scopes.filter((scope) => selected.includes(scope.name));
  const effective = new Set(chosen.flatMap((scope) => [scope.name, ...scope.impliesAll]));

  const toggle = (name: string, checked: boolean) => {
    onChange(checked ? [...selected, name] : selected.filter((scope) => scope !== name));
  };

  return (
    <fieldset className="scope-picker" disabled={disabled} aria-describedby={error ? errorId : undefined} aria-invalid={error ? true : undefined}>
      <legend>{legend}</legend>
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
      <ul className="scope-list">
        {profile.scopes.map((scope) => {
          const id = `${idPrefix}-scope-${scope.name.replace(/[^A-Za-z0-9]/g, '-')}`;
          const blocked = scope.adminLevel && !allowAdminLevel;
          const includedBy = chosen.filter((other) => other.name !== scope.name && other.impliesAll.includes(scope.name)).map((other) => other.name);
          return (
            <li key={scope.name} className={blocked ? 'scope scope-disabled' : 'scope'}>
              <input
                type="checkbox"
                id={id}
                checked={selected.includes(scope.name)}
                disabled={blocked}
                aria-describedby={`${id}-about`}
                aria-invalid={error ? true : undefined}
                onChange={(event) => toggle(scope.name, event.target.checked)}
              />
              <div>
                <label htmlFor={id} className="scope-name">
                  {scope.name}
                </label>
                <p id={`${id}-about`} className="scope-about">
                  {scope.description}
                  {scope.impliesAll.length > 0 ? <span className="scope-implies"> Also grants {scope.impliesAll.join(', ')}.</span> : null}
                  {includedBy.length > 0 ? <span className="scope-included"> Already included with {includedBy.join(', ')}.</span> : null}
                  {blocked ? <span className="scope-reason"> Admin-level scope: service accounts cannot hold it unless the policy allows admin-level scopes.</span> : null}
                </p>
              </div>
            </li>
          );
        })}
      </ul>
      <p className="field-hint" aria-live="polite">
        {effective.size > 0 ? `Tokens can carry: ${[...effective].sort().join(', ')}.` : 'No scope chosen yet.'}
      </p>
    </fieldset>
  );
}
