import { api } from '../api/client';
import type { ServiceAccount } from '../api/types';
import { useResource } from '../api/use-resource';
import { CopyButton } from '../components/CopyButton';
import { useTransientMessage } from '../components/flash';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { Tabs, panelId, tabId } from '../components/Tabs';
import { formatDate, formatDateTime } from '../format';
import { Link } from '../router';
import { accountChangeBlock, useSession } from '../session-context';
import { AccessTab } from './AccessTab';
import { AccountActions } from './AccountActions';
import { ActivityTab } from './ActivityTab';
import { CredentialsTab } from './CredentialsTab';
import { OverviewTab } from './OverviewTab';
import { StatusBadge } from './StatusBadge';
import { useCatalog } from './use-catalog';

export type AccountTab = 'overview' | 'access' | 'credentials' | 'activity';

const TAB_LABELS: Record<AccountTab, string> = { overview: 'Overview', access: 'Access', credentials: 'Credentials', activity: 'Activity' };

/** Shows one service account, with tabs for its details, access, credentials and activity. */
export function AccountDetail({ id, tab }: { id: string; tab: AccountTab }) {
  const path = `/service-accounts/${encodeURIComponent(id)}`;
  const resource = useResource<ServiceAccount>(path);
  const catalog = useCatalog();
  const { admin } = useSession();
  const [status, setStatus] = useTransientMessage();
  const account = resource.data;

  const update = async (body: Record<string, unknown>, message: string) => {
    const next = await api.patch<ServiceAccount>(path, body);
    // The response is the saved account. Showing it with the message keeps the two consistent.
    resource.replace(next, path);
    setStatus(message);
    resource.reload();
    return next;
  };

  if (!account) {
    return (
      <div className="page">
        <p className="breadcrumb">
          <Link to="/service-accounts">Service accounts</Link>
        </p>
        {resource.problem ? (
          <>
            <PageTitle>{resource.problem.code === 'not_found' ? 'Service account not found' : 'Service account'}</PageTitle>
            <LoadError problem={resource.problem} retry={resource.problem.code === 'not_found' ? undefined : resource.reload} />
          </>
        ) : (
          <Loading what="the service account" />
        )}
      </div>
    );
  }

  const changeBlock = accountChangeBlock(admin, account);
  const canEdit = changeBlock === undefined;
  const tabs = (Object.keys(TAB_LABELS) as AccountTab[]).map((name) => ({ id: name, label: TAB_LABELS[name], href: name === 'overview' ? path : `${path}/${name}` }));

  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/service-accounts">Service accounts</Link>
      </p>
      <div className="page-header">
        <div>
          <PageTitle documentTitle={account.name}>
            {account.name} <StatusBadge status={account.status} />
            {account.dormantSince ? (
              <>
                {' '}
                <span className="badge badge-dormant" title={`Dormant since ${formatDateTime(account.dormantSince)}`}>
                  Dormant since {formatDate(account.dormantSince)}
                </span>
              </>
            ) : null}
          </PageTitle>
          <p className="client-id">
            Client ID <code>{account.clientId}</code> <CopyButton text={account.clientId} what="client ID" />
          </p>
        </div>
        {canEdit || admin?.role === 'instance-admin' ? <AccountActions account={account} onUpdate={update} lockedBy={canEdit ? undefined : 'account-change-block'} /> : null}
      </div>
      <div className="live-status" role="status">
        {status ? <p className="notice notice-success">{status}</p> : null}
      </div>
      {changeBlock ? (
        <Notice kind="info">
          <p id="account-change-block">{changeBlock}</p>
        </Notice>
      ) : null}
      {account.status === 'disabled' ? <Notice kind="warning">This account is disabled: it cannot get tokens, and tokens issued before are no longer accepted.</Notice> : null}

      <Tabs label="Account sections" tabs={tabs} current={tab} idPrefix="account" />
      <div role="tabpanel" id={panelId('account', tab)} aria-labelledby={tabId('account', tab)} className="tab-panel">
        {tab === 'overview' ? <OverviewTab account={account} catalog={catalog} canEdit={canEdit} onUpdate={update} /> : null}
        {tab === 'access' ? <AccessTab account={account} catalog={catalog} canEdit={canEdit} onUpdate={update} /> : null}
        {tab === 'credentials' ? <CredentialsTab account={account} catalog={catalog} canEdit={canEdit} onChanged={resource.reload} /> : null}
        {tab === 'activity' ? <ActivityTab account={account} /> : null}
      </div>
    </div>
  );
}
