import { useState } from 'react';
import { api, problemOf } from '../api/client';
import type { AccessGrant, Problem } from '../api/types';
import { useResource } from '../api/use-resource';
import { SecretReveal } from '../accounts/SecretReveal';
import { StatusBadge } from '../accounts/StatusBadge';
import { tokenCommands } from '../accounts/token-command';
import { useCatalog } from '../accounts/use-catalog';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { Link } from '../router';
import { ReadOnlyNotice } from '../components/ReadOnlyNotice';
import { useCanEdit } from '../session-context';
import type { AcceptedProposal, ImportDetail, Proposal } from './types';

/** Writes a grant on one line, such as "jira: WRITE; project ABC, DEF". */
function grantLine(grant: AccessGrant): string {
  const resources = Object.entries(grant.resources).map(([type, ids]) => `${type} ${ids === '*' ? 'all' : ids.join(', ')}`);
  return [`${grant.instance}: ${grant.scopes.join(', ')}`, ...resources].join('; ');
}

/** Lists the proposals of one import, to accept or reject each; an accepted one shows its secret once. */
export function ImportReview({ id }: { id: string }) {
  const detail = useResource<ImportDetail>(`/migrations/imports/${encodeURIComponent(id)}`);
  const catalog = useCatalog();
  const canEdit = useCanEdit();
  const [accepted, setAccepted] = useState<AcceptedProposal>();
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState('');

  async function decide(proposal: Proposal, verdict: 'accept' | 'reject') {
    setBusy(proposal.id);
    setProblem(undefined);
    setAccepted(undefined);
    try {
      const path = `/migrations/imports/${encodeURIComponent(id)}/proposals/${encodeURIComponent(proposal.id)}/${verdict}`;
      const result = await api.post<AcceptedProposal | Proposal>(path);
      // The secret lives in this page's state only, so it is gone once the admin leaves.
      if (verdict === 'accept') setAccepted(result as AcceptedProposal);
      detail.reload();
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy('');
    }
  }

  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/migration">Migration</Link>
      </p>
      <PageTitle>Review proposals</PageTitle>
      <ReadOnlyNotice />
      {accepted ? (
        <section aria-labelledby="accepted-title">
          <h2 id="accepted-title">Service account {accepted.account.name} created</h2>
          <SecretReveal
            clientId={accepted.account.clientId}
            secret={accepted.account.credential.clientSecret}
            expiresAt={accepted.account.credential.expiresAt}
            commands={tokenCommands(accepted.account.clientId, accepted.account.credential.clientSecret, accepted.account.access, catalog.instanceIndex)}
          />
        </section>
      ) : null}
      {problem ? <Notice kind="error">{problem.detail}</Notice> : null}
      {detail.problem ? <LoadError problem={detail.problem} retry={detail.reload} /> : null}
      {detail.loading && !detail.data ? <Loading what="the proposals" /> : null}
      {detail.data ? (
        <>
          <p>
            {detail.data.accountCount} human accounts: {detail.data.proposals.pending} pending, {detail.data.proposals.accepted} accepted, {detail.data.proposals.rejected} rejected.
          </p>
          <div className="table-wrap">
            <table className="table" data-testid="proposal-table">
              <caption className="visually-hidden">Proposals</caption>
              <thead>
                <tr>
                  <th scope="col">Human account</th>
                  <th scope="col">Proposed service account</th>
                  <th scope="col">Access</th>
                  <th scope="col">Problems</th>
                  <th scope="col">Status</th>
                  {canEdit ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {detail.data.items.map((item) => (
                  <tr key={item.id}>
                    <td>
                      {item.source.name}
                      <br />
                      <span className="muted">{item.source.email}</span>
                    </td>
                    <td>
                      {item.accountId ? <Link to={`/service-accounts/${encodeURIComponent(item.accountId)}`}>{item.proposal.name}</Link> : item.proposal.name}
                      <br />
                      <span className="muted">Owner: {item.proposal.owner}</span>
                    </td>
                    <td>
                      {item.proposal.access.length > 0 ? (
                        <ul className="plain-list">
                          {item.proposal.access.map((grant) => (
                            <li key={grant.instance}>{grantLine(grant)}</li>
                          ))}
                        </ul>
                      ) : (
                        <span className="muted">No access</span>
                      )}
                    </td>
                    <td>
                      {item.problems.length > 0 ? (
                        <ul className="plain-list">
                          {item.problems.map((entry, index) => (
                            <li key={index}>{entry.message}</li>
                          ))}
                        </ul>
                      ) : (
                        <span className="muted">None</span>
                      )}
                    </td>
                    <td>
                      <StatusBadge status={item.status} />
                    </td>
                    {canEdit ? (
                      <td className="actions-cell">
                        {item.status === 'pending' ? (
                          <>
                            <button type="button" className="button button-small button-primary" disabled={busy !== ''} aria-label={`Accept ${item.proposal.name}`} onClick={() => decide(item, 'accept')}>
                              Accept
                            </button>
                            <button type="button" className="button button-small" disabled={busy !== ''} aria-label={`Reject ${item.proposal.name}`} onClick={() => decide(item, 'reject')}>
                              Reject
                            </button>
                          </>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}
