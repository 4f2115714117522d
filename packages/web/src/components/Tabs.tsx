import { type KeyboardEvent, useRef } from 'react';
import { navigate } from '../router';

export interface TabDefinition {
  id: string;
  label: string;
  href: string;
}

interface TabsProps {
  label: string;
  tabs: TabDefinition[];
  current: string;
  /** Prefix of the ids of tabs and panels, so that a panel can name its tab. */
  idPrefix: string;
}

export function tabId(idPrefix: string, tab: string): string {
  return `${idPrefix}-tab-${tab}`;
}

export function panelId(idPrefix: string, tab: string): string {
  return `${idPrefix}-panel-${tab}`;
}

/**
 * Renders a tab list whose tabs are routes, following the ARIA tabs pattern: only the current
 * tab is in the Tab order, and the arrow, Home and End keys move between tabs.
 */
export function Tabs({ label, tabs, current, idPrefix }: TabsProps) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);

  const move = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    let next = index;
    if (event.key === 'ArrowRight') next = (index + 1) % tabs.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + tabs.length) % tabs.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = tabs.length - 1;
    else return;
    event.preventDefault();
    navigate(tabs[next].href, { replace: true });
    refs.current[next]?.focus();
  };

  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((tab, index) => {
        const selected = tab.id === current;
        return (
          <button
            key={tab.id}
            ref={(element) => {
              refs.current[index] = element;
            }}
            type="button"
            role="tab"
            id={tabId(idPrefix, tab.id)}
            aria-selected={selected}
            aria-controls={panelId(idPrefix, tab.id)}
            tabIndex={selected ? 0 : -1}
            className={selected ? 'tab tab-selected' : 'tab'}
            onClick={() => navigate(tab.href)}
            onKeyDown={(event) => move(event, index)}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}
