import { useState } from 'react';

/**
 * Keeps the cursors of the pages up to the current one, so that "Previous" can go back. They
 * belong to one filter key and start again from the first page when it changes.
 */
export function useCursorPages(filterKey: string) {
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: filterKey, cursors: [undefined] });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];

  return {
    cursor: cursors[cursors.length - 1],
    pageNumber: cursors.length,
    previous: () => setPaging({ key: filterKey, cursors: cursors.slice(0, -1) }),
    next: (cursor: string) => setPaging({ key: filterKey, cursors: [...cursors, cursor] }),
  };
}
