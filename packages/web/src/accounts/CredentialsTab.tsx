import { useState } from 'react';
import { api } from '../api/client';
import type { CreatedCredential, Credential, Page, RotatedCredential, ServiceAccount } from '../api/types';
import { useResource } from '../api/use-resource';
import { useTransientMessage } from '../components/flash';
import { LoadError, Loading } from '../components/LoadState';
import { Time } from '../components/Time';
import { CredentialDialogs, type CredentialDialog } from './CredentialDialogs';
import { SecretReveal } from './SecretReveal';
import { StatusBadge } from './StatusBadge';
import { tokenCommands } from './token-command';
import type { Catalog } from './use-catalog';

interface CredentialsTabProps {
  account: ServiceAccount;
  catalog: Catalog;
  canEdit: boolean;
  onChanged: () => void;
}

/** A secret just created or rotated, shown once above the table. */
interface NewSecret {
  credential: CreatedCredential;
  previous?: Credential;
}

/** Lists the account's credentials with expiry, status and last use, and creates, rotates and revokes them. */
export function CredentialsTab({ account, catalog, canEdit, onChanged }: CredentialsTabProps) {
  const path = `/service-accounts/${encodeURIComponent(account.id)}/credentials`;
  const list = useResource<Page<Credential>>(path);
  const [dialog, setDialog] = useState<CredentialDialog>();
  const [newSecret, setNewSecret] = useState<NewSecret>();
  const [status, setStatus] = useTransientMessage();

  const changed = (message: string) => {
    setDialog(undefined);
    setStatus(message);
    list.reload();
    onChanged();
  };

  const create = async (expiresInDays: number) => {
    const credential = await api.post<CreatedCredential>(path, { expiresInDays });
    setNewSecret({ credential });
    changed('Created a new credential. Copy its secret now.');
  };
  const rotate = async (credential: Credential, gracePeriodSeconds: number) => {
    const rotated = await api.post<RotatedCredential>(`${path}/${encodeURIComponent(credential.id)}/rotate`, { gracePeriodSeconds });
    setNewSecret({ credential: rotated, previous: rotated.previous });
    changed('Rotated the credential. Copy the new secret now.');
  };
  const revoke = async (credential: Credential) => {
    await api.delete(`${path}/${encodeURIComponent(credential.id)}`);
    changed(`Revoked credential ${credential.id.slice(0, 8)}.`);
  };

  return (
    <section aria-labelledby="credentials-title">
      <div className="section-header">
        <h2 id="credentials-title">Credentials</h2>
        {canEdit ? (
          <button type="button" className="button" onClick={() => setDialog({ kind: 'create' })}>
            Create credential
          </button>
        ) : null}
      </div>
      <p className="field-hint page-intro">An account can hold several credentials at once, so a new secret can be rolled out before the old one ends.</p>
      <div className="live-status" role="status">
        {status ? <p className="notice notice-success">{status}</p> : null}
      </div>

      {newSecret ? (
        <section className="new-secret" aria-labelledby="new-secret-title">
          <h3 id="new-secret-title">New client secret</h3>
          {newSecret.previous ? (
            <p>
              The previous credential {newSecret.previous.status === 'active' ? 'keeps working until' : 'stopped working at'} <Time value={newSecret.previous.expiresAt} format="datetime" />.
            </p>
          ) : null}
          <SecretReveal
            clientId={account.clientId}
            secret={newSecret.credential.clientSecret}
            expiresAt={newSecret.credential.expiresAt}
            commands={tokenCommands(account.clientId, newSecret.credential.clientSecret, account.access, catalog.instanceIndex)}
          />
          <button type="button" className="button" onClick={() => setNewSecret(undefined)}>
            I have copied the secret
          </button>
        </section>
      ) : null}

      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="credentials" /> : null}
      {list.data && list.data.items.length === 0 ? <p className="empty-inline">No credentials: the account cannot authenticate until you create one.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap" aria-busy={list.loading}>
          <table className="table">
            <caption className="visually-hidden">Credentials</caption>
            <thead>
              <tr>
                <th scope="col">Credential</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                {canEdit ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((credential) => (
                <tr key={credential.id} data-credential-id={credential.id}>
                  <td>
                    <code title={credential.id}>{credential.id.slice(0, 8)}</code>
                  </td>
                  <td>
                    <StatusBadge status={credential.status} />
                    {credential.replacedBy ? (
                      <div className="cell-note">
                        Rotated, replaced by <code title={credential.replacedBy}>{credential.replacedBy.slice(0, 8)}</code>
                      </div>
                    ) : null}
                    {credential.revokedAt ? (
                      <div className="cell-note">
                        <Time value={credential.revokedAt} />
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <Time value={credential.createdAt} format="date" />
                  </td>
                  <td>
                    <Time value={credential.expiresAt} format="datetime" empty="Never" />
                  </td>
                  <td>
                    <Time value={credential.lastUsedAt} empty="Never" />
                    {credential.lastUsedIp ? <div className="cell-note">from {credential.lastUsedIp}</div> : null}
                  </td>
                  {canEdit ? (
                    <td className="actions-cell">
                      {credential.status === 'active' && !credential.replacedBy ? (
                        <button type="button" className="button button-small" onClick={() => setDialog({ kind: 'rotate', credential })}>
                          Rotate
                        </button>
                      ) : null}
                      {credential.status !== 'revoked' ? (
                        <button type="button" className="button button-small button-danger" onClick={() => setDialog({ kind: 'revoke', credential })}>
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      <CredentialDialogs
        dialog={dialog}
        onClose={() => setDialog(undefined)}
        onCreate={create}
        onRotate={rotate}
        onRevoke={revoke}
        credentials={list.data?.items ?? []}
        policyMaxDays={catalog.policy?.credentials.maxLifetimeDays}
      />
    </section>
  );
}
