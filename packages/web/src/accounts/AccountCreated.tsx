import { useEffect, useState } from 'react';
import { PageTitle } from '../components/PageTitle';
import { Link } from '../router';
import { forgetCreatedAccount, peekCreatedAccount } from './created-secret';
import { SecretReveal } from './SecretReveal';
import { tokenCommands } from './token-command';
import { useCatalog } from './use-catalog';

/** Shows the client ID and secret of a new account, once, after the create form. */
export function AccountCreated({ id }: { id: string }) {
  const [created] = useState(() => peekCreatedAccount(id));
  const catalog = useCatalog();

  // The secret stays in this page's state only; leaving or reloading the page drops it.
  useEffect(() => forgetCreatedAccount(), []);

  const accountPath = `/service-accounts/${encodeURIComponent(id)}`;
  if (!created) {
    return (
      <div className="page page-narrow">
        <PageTitle>Secret no longer available</PageTitle>
        <p>The client secret was shown once, when the account was created, and Tessera does not store it. If it was not copied, create a new credential for the account and revoke the old one.</p>
        <p>
          <Link to={`${accountPath}/credentials`} className="button button-primary">
            Open the account's credentials
          </Link>
        </p>
      </div>
    );
  }

  return (
    <div className="page page-narrow">
      <p className="breadcrumb">
        <Link to="/service-accounts">Service accounts</Link>
      </p>
      <PageTitle documentTitle="Service account created">Service account {created.name} created</PageTitle>
      <SecretReveal
        clientId={created.clientId}
        secret={created.credential.clientSecret}
        expiresAt={created.credential.expiresAt}
        commands={tokenCommands(created.clientId, created.credential.clientSecret, created.access, catalog.instanceIndex)}
      />
      <div className="button-row">
        <Link to="/service-accounts/new" className="button">
          Create another
        </Link>
        <Link to={accountPath} className="button button-primary">
          Go to the account
        </Link>
      </div>
    </div>
  );
}
