import { type ReactNode, useEffect, useRef } from 'react';

interface PageTitleProps {
  children: ReactNode;
  /** Text for the browser tab; defaults to the heading when it is a string. */
  documentTitle?: string;
}

/**
 * Renders the page's h1, sets the document title, and focuses the heading when it mounts, so
 * that screen readers announce the new page after a navigation.
 */
export function PageTitle({ children, documentTitle }: PageTitleProps) {
  const ref = useRef<HTMLHeadingElement>(null);
  const title = documentTitle ?? (typeof children === 'string' ? children : undefined);

  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);

  useEffect(() => {
    if (title) document.title = `${title} · Tessera`;
  }, [title]);

  return (
    <h1 ref={ref} tabIndex={-1} className="page-title">
      {children}
    </h1>
  );
}
