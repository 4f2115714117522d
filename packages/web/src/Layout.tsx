import type { ReactNode } from 'react';
import { useCurrentFlash } from './components/flash';
import { NAV_SECTIONS } from './page-access';
import { Link, useLocation } from './router';
import { useSession } from './session-context';

/** Renders the signed-in frame around a page: skip link, navigation, the signed-in admin and sign-out. */
export function Layout({ children }: { children: ReactNode }) {
  const { admin, signOut } = useSession();
  const location = useLocation();
  const flash = useCurrentFlash();
  const sections = NAV_SECTIONS.filter((section) => admin && section.roles.includes(admin.role));

  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to="/service-accounts" className="brand">
          Tessera
        </Link>
        <nav aria-label="Main">
          <ul className="nav-list">
            {sections.map((section) => {
              const current = location.pathname === section.href || location.pathname.startsWith(`${section.href}/`);
              return (
                <li key={section.href}>
                  <Link to={section.href} className={current ? 'nav-link nav-current' : 'nav-link'} aria-current={current ? 'page' : undefined}>
                    {section.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="account-menu">
          <span className="muted">
            {admin?.username} ({admin?.role})
          </span>
          <button type="button" className="button button-small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="main">
        <div className="live-status" role="status">
          {flash ? <p className="notice notice-success">{flash}</p> : null}
        </div>
        {children}
      </main>
    </>
  );
}
