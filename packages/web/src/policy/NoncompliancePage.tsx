import type { Noncompliance } from '../api/types';
import { useResource } from '../api/use-resource';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { Time } from '../components/Time';
import { Link } from '../router';
import { describeViolation } from './violations';

function accountHref(accountId: string, tab = ''): string {
  return `/service-accounts/${encodeURIComponent(accountId)}${tab}`;
}

function Violations({ codes }: { codes: string[] }) {
  return (
    <ul className="violation-list">
      {codes.map((code) => (
        <li key={code}>{describeViolation(code)}</li>
      ))}
    </ul>
  );
}

function BlockingNotice({ report }: { report: Noncompliance }) {
  if (!report.blockFrom) return <Notice kind="info">The policy sets no date to reject these credentials, so they keep working until fixed.</Notice>;
  if (report.blocking) {
    return (
      <Notice kind="warning">
        Since <Time value={report.blockFrom} format="datetime" />, the token endpoint rejects the credentials listed below.
      </Notice>
    );
  }
  return (
    <Notice kind="warning">
      From <Time value={report.blockFrom} format="datetime" />, the token endpoint rejects the credentials listed below.
    </Notice>
  );
}

/** Lists the credentials, accounts and grants that break the current policy, each linked to its account. */
export function NoncompliancePage() {
  const resource = useResource<Noncompliance>('/policy/noncompliance');
  const report = resource.data;

  return (
    <div className="page noncompliance">
      <p className="breadcrumb">
        <Link to="/policy">Policy</Link>
      </p>
      <PageTitle>Non-compliant</PageTitle>
      <p className="field-hint page-intro">What exists today that the current policy would not allow if it were created now.</p>
      {resource.problem ? <LoadError problem={resource.problem} retry={resource.reload} /> : null}
      {!report && !resource.problem ? <Loading what="the non-compliant list" /> : null}
      {report ? (
        <>
          <BlockingNotice report={report} />

          <section aria-labelledby="noncompliant-credentials">
            <h2 id="noncompliant-credentials">Credentials ({report.credentials.length})</h2>
            {report.credentials.length === 0 ? (
              <p className="empty-inline">Every live credential complies.</p>
            ) : (
              <div className="table-wrap" aria-busy={resource.loading}>
                <table className="table">
                  <caption className="visually-hidden">Non-compliant credentials</caption>
                  <thead>
                    <tr>
                      <th scope="col">Account</th>
                      <th scope="col">Credential</th>
                      <th scope="col">Created</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Problem</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.credentials.map((item) => (
                      <tr key={item.credentialId}>
                        <td>
                          <Link to={accountHref(item.accountId, '/credentials')}>{item.accountName}</Link>
                        </td>
                        <td>
                          <code title={item.credentialId}>{item.credentialId.slice(0, 8)}</code>
                        </td>
                        <td>
                          <Time value={item.createdAt} format="date" />
                        </td>
                        <td>
                          <Time value={item.expiresAt} format="date" empty="Never" />
                        </td>
                        <td>
                          <Violations codes={item.violations} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="noncompliant-accounts">
            <h2 id="noncompliant-accounts">Accounts ({report.accounts.length})</h2>
            {report.accounts.length === 0 ? (
              <p className="empty-inline">No account holds more live credentials than the policy allows.</p>
            ) : (
              <div className="table-wrap" aria-busy={resource.loading}>
                <table className="table">
                  <caption className="visually-hidden">Non-compliant accounts</caption>
                  <thead>
                    <tr>
                      <th scope="col">Account</th>
                      <th scope="col">Live credentials</th>
                      <th scope="col">Problem</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.accounts.map((item) => (
                      <tr key={item.accountId}>
                        <td>
                          <Link to={accountHref(item.accountId, '/credentials')}>{item.accountName}</Link>
                        </td>
                        <td>{item.liveCredentials}</td>
                        <td>
                          <Violations codes={item.violations} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="noncompliant-grants">
            <h2 id="noncompliant-grants">Grants ({report.grants.length})</h2>
            {report.grants.length === 0 ? (
              <p className="empty-inline">Every grant uses scopes the policy allows.</p>
            ) : (
              <div className="table-wrap" aria-busy={resource.loading}>
                <table className="table">
                  <caption className="visually-hidden">Non-compliant grants</caption>
                  <thead>
                    <tr>
                      <th scope="col">Account</th>
                      <th scope="col">Instance</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Problem</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.grants.map((item) => (
                      <tr key={`${item.accountId}:${item.instance}:${item.violations.join(',')}`}>
                        <td>
                          <Link to={accountHref(item.accountId, '/access')}>{item.accountName}</Link>
                        </td>
                        <td>{item.instance}</td>
                        <td>{item.scopes.join(', ')}</td>
                        <td>
                          <Violations codes={item.violations} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}
