import { PageTitle } from '../components/PageTitle';
import { DeliveryHistory } from './DeliveryHistory';
import { ExpiringCredentials } from './ExpiringCredentials';
import { UnusedAccounts } from './UnusedAccounts';

/** Shows what needs attention soon: expiring credentials, unused accounts, and the notifications sent about them. */
export function ReportsPage() {
  return (
    <div className="page">
      <PageTitle>Expiring and unused</PageTitle>
      <ExpiringCredentials />
      <UnusedAccounts />
      <DeliveryHistory />
    </div>
  );
}
