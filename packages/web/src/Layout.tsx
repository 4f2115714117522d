import { type ReactNode, useEffect } from 'react';
import { clearFlash, useFlash } from './components/flash';
import { Link, useLocation } from './router';
import { useSession } from './session-context';

const SECTIONS = [
  { href: '/service-accounts', label: 'Service accounts' },
  { href: '/audit', label: 'Audit log' },
  { href: '/instances', label: 'Instances' },
  { href: '/seats', label: 'Seats' },
  { href: '/migration', label: 'Migration' },
];

/** Renders the signed-in frame around a page: skip link, navigation, the signed-in admin and sign-out. */
export function Layout({ children }: { children: ReactNode }) {
  const { admin, signOut } = useSession();
  const location = useLocation();
  const flash = useFlash();

  // A message set for one page goes away once the admin moves on to another.
  useEffect(() => {
    if (flash && flash.path !== location.pathname) clearFlash();
  }, [location.pathname, flash]);

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
            {SECTIONS.map((section) => {
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
          {flash && flash.path === location.pathname ? <p className="notice notice-success">{flash.message}</p> : null}
        </div>
        {children}
      </main>
    </>
  );
}
