import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AccountCreate } from './accounts/AccountCreate';
import { AccountCreated } from './accounts/AccountCreated';
import { type AccountTab, AccountDetail } from './accounts/AccountDetail';
import { AccountsList } from './accounts/AccountsList';
import { AdminsPage } from './admins/AdminsPage';
import { api, onUnauthenticated, setCsrfToken } from './api/client';
import type { Admin, Session } from './api/types';
import { AuditLog } from './audit/AuditLog';
import { Notice } from './components/Notice';
import { PageTitle } from './components/PageTitle';
import { InstanceForm } from './instances/InstanceForm';
import { InstancesList } from './instances/InstancesList';
import { Layout } from './Layout';
import { ReportsPage } from './reports/ReportsPage';
import { NoncompliancePage } from './policy/NoncompliancePage';
import { PolicyPage } from './policy/PolicyPage';
import { ImportReview } from './migration/ImportReview';
import { MigrationPage } from './migration/MigrationPage';
import { SeatsReport } from './seats/SeatsReport';
import { pageBlock } from './page-access';
import { Link, matchPath, navigate, useLocation } from './router';
import { SessionContext } from './session-context';
import { SignInDialog } from './session/SignInDialog';
import { SignInPage } from './session/SignInPage';
import { forgetSignIn, maybeSignedIn, rememberSignIn } from './session/session-hint';

const ACCOUNT_TABS: AccountTab[] = ['access', 'credentials', 'activity'];

/** Accepts only a path on this origin as the place to return to after sign-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/service-accounts';
}

/** Replaces the current history entry with another path once rendered. */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotFound() {
  return (
    <div className="page">
      <PageTitle>Page not found</PageTitle>
      <p>
        No panel page has this address. Go to the <Link to="/service-accounts">service accounts</Link>.
      </p>
    </div>
  );
}

/** Stands in for a page that the signed-in role may not use, so that it sends no request bound to fail. */
function NotForRole({ reason }: { reason: string }) {
  return (
    <div className="page">
      <PageTitle>Not available for your role</PageTitle>
      <Notice kind="error">
        <p>{reason}</p>
      </Notice>
      <p>
        Go to the <Link to="/service-accounts">service accounts</Link>.
      </p>
    </div>
  );
}

function Screen({ pathname, role }: { pathname: string; role: Admin['role'] }) {
  const blocked = pageBlock(pathname, role);
  if (blocked) return <NotForRole reason={blocked} />;

  if (pathname === '/service-accounts') return <AccountsList />;
  if (pathname === '/service-accounts/new') return <AccountCreate />;
  if (pathname === '/audit') return <AuditLog />;
  if (pathname === '/reports') return <ReportsPage />;
  if (pathname === '/instances') return <InstancesList />;
  if (pathname === '/instances/new') return <InstanceForm />;
  if (pathname === '/policy') return <PolicyPage />;
  if (pathname === '/policy/noncompliant') return <NoncompliancePage />;
  if (pathname === '/seats') return <SeatsReport />;
  if (pathname === '/migration') return <MigrationPage />;
  if (pathname === '/admins') return <AdminsPage />;

  let params = matchPath('/instances/:id/edit', pathname);
  if (params) return <InstanceForm key={params.id} id={params.id} />;
  params = matchPath('/migration/imports/:id', pathname);
  if (params) return <ImportReview key={params.id} id={params.id} />;
  params = matchPath('/service-accounts/:id/created', pathname);
  if (params) return <AccountCreated key={params.id} id={params.id} />;
  params = matchPath('/service-accounts/:id', pathname);
  if (params) return <AccountDetail key={params.id} id={params.id} tab="overview" />;
  params = matchPath('/service-accounts/:id/:tab', pathname);
  if (params && ACCOUNT_TABS.includes(params.tab as AccountTab)) return <AccountDetail key={params.id} id={params.id} tab={params.tab as AccountTab} />;
  return <NotFound />;
}

/** Checks the session, then renders the sign-in page or the signed-in pages. */
export function App() {
  const location = useLocation();
  const [admin, setAdmin] = useState<Admin>();
  const [checking, setChecking] = useState(true);
  const [expired, setExpired] = useState(false);
  const [version, setVersion] = useState(0);
  const adminRef = useRef<Admin>(undefined);
  adminRef.current = admin;

  useEffect(() => {
    onUnauthenticated(() => {
      if (adminRef.current) {
        setExpired(true);
      } else if (window.location.pathname !== '/sign-in') {
        navigate(`/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
      }
    });
    if (!maybeSignedIn()) {
      setChecking(false);
      return;
    }
    api
      .get<Session>('/session')
      .then((session) => {
        setCsrfToken(session.csrfToken);
        setAdmin(session.admin);
      })
      .catch(() => forgetSignIn())
      .finally(() => setChecking(false));
  }, []);

  const signedIn = useCallback((session: Session) => {
    rememberSignIn();
    setAdmin(session.admin);
    setExpired(false);
    setVersion((value) => value + 1);
  }, []);

  const signOut = useCallback(() => {
    api
      .delete('/session')
      .catch(() => undefined)
      .finally(() => {
        forgetSignIn();
        setAdmin(undefined);
        setCsrfToken('');
        navigate('/sign-in', { replace: true });
      });
  }, []);

  const refresh = useCallback(() => {
    api
      .get<Session>('/session')
      .then((session) => {
        setCsrfToken(session.csrfToken);
        setAdmin(session.admin);
      })
      .catch(() => undefined);
  }, []);

  const session = useMemo(() => ({ admin, version, signOut, refresh }), [admin, version, signOut, refresh]);

  if (checking) {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }

  if (location.pathname === '/sign-in') {
    if (admin) return <Redirect to={safeNext(location.search.get('next'))} />;
    return <SignInPage onSignedIn={signedIn} />;
  }
  if (!admin) return <Redirect to={`/sign-in?next=${encodeURIComponent(location.href)}`} />;
  if (location.pathname === '/') return <Redirect to="/service-accounts" />;

  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Screen pathname={location.pathname} role={admin.role} />
      </Layout>
      {expired ? <SignInDialog onSignedIn={signedIn} onCancel={() => setExpired(false)} /> : null}
    </SessionContext.Provider>
  );
}
