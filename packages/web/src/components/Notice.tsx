import type { ReactNode } from 'react';

interface NoticeProps {
  kind: 'error' | 'success' | 'info' | 'warning';
  children: ReactNode;
  className?: string;
}

/**
 * Renders a message box. Errors use role="alert", so screen readers announce them at once, and
 * the other kinds use role="status", which is announced politely.
 */
export function Notice({ kind, children, className }: NoticeProps) {
  return (
    <div className={`notice notice-${kind} ${className ?? ''}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
