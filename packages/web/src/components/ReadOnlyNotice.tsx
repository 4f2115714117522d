import { useRole } from '../session-context';
import { Notice } from './Notice';

interface ReadOnlyNoticeProps {
  /** Name of the read-only thing, such as "the policy". The default is "this page". */
  subject?: string;
  /** Shows the notice to instance-admins too, on pages that only the admin role may change. */
  organisationWide?: boolean;
}

/** Renders the notice that the page is read-only, for an auditor, and for an instance-admin on an organisation-wide page. */
export function ReadOnlyNotice({ subject = 'this page', organisationWide = false }: ReadOnlyNoticeProps) {
  const role = useRole();
  if (role === 'auditor') return <Notice kind="info">You are signed in as an auditor, so {subject} is read-only.</Notice>;
  if (role === 'instance-admin' && organisationWide) {
    return <Notice kind="info">You are signed in as an instance-admin, so {subject} is read-only. Only an admin may change it.</Notice>;
  }
  return null;
}
