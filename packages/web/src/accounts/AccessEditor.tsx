import { useState } from 'react';
import { Link } from '../router';
import { useCanEdit } from '../session-context';
import type { Catalog } from './use-catalog';
import { type GrantDraft, emptyGrant } from './access-draft';
import { GrantEditor } from './GrantEditor';

interface AccessEditorProps {
  idPrefix: string;
  catalog: Catalog;
  drafts: GrantDraft[];
  onChange: (drafts: GrantDraft[]) => void;
  errorFor: (key: string) => string | undefined;
  touch: (key: string) => void;
}

/** Edits an account's grants: one section per instance, and a picker that adds another instance. */
export function AccessEditor({ idPrefix, catalog, drafts, onChange, errorFor, touch }: AccessEditorProps) {
  const available = catalog.instances.filter((instance) => !drafts.some((draft) => draft.instance === instance.slug));
  const [choice, setChoice] = useState('');
  const selected = available.find((instance) => instance.slug === choice) ?? available[0];
  const listError = errorFor('access');
  const canAddInstance = useCanEdit();

  const add = () => {
    if (!selected) return;
    onChange([...drafts, emptyGrant(selected, catalog.profiles.get(selected.profile))]);
    setChoice('');
  };

  return (
    <div className="access-editor">
      {listError ? (
        <p className="field-error" role="alert">
          {listError}
        </p>
      ) : null}
      {drafts.length === 0 ? <p className="empty-inline">No access yet: without a grant the account cannot get tokens for any instance.</p> : null}
      {drafts.map((draft, index) => {
        const instance = catalog.instanceIndex.get(draft.instance);
        return (
          <GrantEditor
            key={draft.instance}
            index={index}
            idPrefix={idPrefix}
            draft={draft}
            instance={instance}
            profile={catalog.profiles.get(instance?.profile ?? '')}
            adminScopesAllowed={catalog.adminScopesAllowed}
            errorFor={errorFor}
            touch={touch}
            onChange={(next) => onChange(drafts.map((other, otherIndex) => (otherIndex === index ? next : other)))}
            onRemove={() => onChange(drafts.filter((_, otherIndex) => otherIndex !== index))}
          />
        );
      })}
      {catalog.instances.length === 0 && !catalog.loading ? (
        <p className="field-hint">
          No product instances yet.{' '}
          {canAddInstance ? (
            <>
              <Link to="/instances/new">Add an instance</Link> first to grant access to it.
            </>
          ) : (
            'Ask an admin to add one.'
          )}
        </p>
      ) : null}
      {available.length > 0 ? (
        <div className="add-grant">
          <label htmlFor={`${idPrefix}-add-instance`}>Add access to</label>
          <select id={`${idPrefix}-add-instance`} value={selected?.slug ?? ''} onChange={(event) => setChoice(event.target.value)}>
            {available.map((instance) => (
              <option key={instance.id} value={instance.slug}>
                {instance.name} ({instance.slug})
              </option>
            ))}
          </select>
          <button type="button" className="button" onClick={add}>
            Add access
          </button>
        </div>
      ) : null}
    </div>
  );
}
