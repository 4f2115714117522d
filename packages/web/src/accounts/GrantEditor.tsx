import type { Instance, Profile } from '../api/types';
import type { GrantDraft } from './access-draft';
import { RestrictionEditor } from './RestrictionEditor';
import { ScopePicker } from './ScopePicker';

interface GrantEditorProps {
  index: number;
  idPrefix: string;
  draft: GrantDraft;
  instance: Instance | undefined;
  profile: Profile | undefined;
  /** The policy's opt-in, which lets admin-level scopes be chosen. */
  adminScopesAllowed: boolean;
  onChange: (draft: GrantDraft) => void;
  onRemove: () => void;
  errorFor: (key: string) => string | undefined;
  touch: (key: string) => void;
}

/** Edits one grant: the scopes on one instance and the resources of each type it may reach. */
export function GrantEditor({ index, idPrefix, draft, instance, profile, adminScopesAllowed, onChange, onRemove, errorFor, touch }: GrantEditorProps) {
  const key = `access[${index}]`;
  const prefix = `${idPrefix}-grant-${index}`;
  const instanceError = errorFor(`${key}.instance`);

  return (
    <section className="grant" aria-labelledby={`${prefix}-title`}>
      <div className="grant-header">
        <h3 id={`${prefix}-title`}>
          {instance ? instance.name : draft.instance} <span className="muted">({draft.instance}{profile ? `, ${profile.title}` : ''})</span>
        </h3>
        <button type="button" className="button button-small" onClick={onRemove}>
          Remove access to {instance?.name ?? draft.instance}
        </button>
      </div>
      {instanceError ? (
        <p className="field-error" role="alert">
          {instanceError}
        </p>
      ) : null}
      {!profile ? (
        <p className="field-error">This instance's profile is unknown to the panel, so its scopes cannot be shown.</p>
      ) : (
        <>
          <ScopePicker
            idPrefix={prefix}
            profile={profile}
            selected={draft.scopes}
            allowAdminLevel={adminScopesAllowed}
            error={errorFor(`${key}.scopes`)}
            onChange={(scopes) => {
              touch(`${key}.scopes`);
              onChange({ ...draft, scopes });
            }}
          />
          <div className="restrictions">
            <h4>Resources</h4>
            {profile.resourceTypes.length === 0 ? (
              <p className="field-hint">The {profile.title} profile has no resource types, so the scopes apply to the whole instance.</p>
            ) : (
              <p className="field-hint">A resource type set to "No access" denies every resource of that type.</p>
            )}
            {Object.entries(draft.resources).map(([type, restriction]) => (
              <RestrictionEditor
                key={type}
                idPrefix={prefix}
                type={type}
                value={restriction}
                error={errorFor(`${key}.resources.${type}`)}
                onChange={(value) => {
                  touch(`${key}.resources.${type}`);
                  onChange({ ...draft, resources: { ...draft.resources, [type]: value } });
                }}
              />
            ))}
          </div>
        </>
      )}
    </section>
  );
}
