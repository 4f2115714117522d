import { PageTitle } from '../components/PageTitle';
import { ReadOnlyNotice } from '../components/ReadOnlyNotice';
import { useRole } from '../session-context';
import { DeliveryHistory } from './DeliveryHistory';
import { ExpiringCredentials } from './ExpiringCredentials';
import { UnusedAccounts } from './UnusedAccounts';

/** Shows what needs attention soon: expiring credentials, unused accounts, and the notifications sent about them. */
export function ReportsPage() {
  const role = useRole();

  return (
    <div className="page">
      <PageTitle>Expiring and unused</PageTitle>
      <ReadOnlyNotice />
      <ExpiringCredentials />
      <UnusedAccounts />
      {/* The server lists an instance-admin's deliveries only per account, so the organisation-wide history is left out. */}
      {role === 'instance-admin' ? (
        <section className="report-section" aria-labelledby="report-deliveries">
          <h2 id="report-deliveries">Notification history</h2>
          <p className="muted">The notification history covers every instance, so only admins and auditors see it.</p>
        </section>
      ) : (
        <DeliveryHistory />
      )}
    </div>
  );
}
