import { useState } from 'react';
import type { PageEndFragment } from '../__generated__/graphql';

/**
 * Cursor paging over a Relay connection that only goes forward (`first`/`after`):
 * "previous" pops the cursors of the pages already seen. The stack resets when
 * `resetKey` (the filter and order) changes.
 */
export interface PagerState {
  after: string | null;
  page: number;
  next(cursor: string): void;
  previous(): void;
}

export function usePager(resetKey: string): PagerState {
  const [state, setState] = useState<{ key: string; stack: string[] }>({ key: resetKey, stack: [] });
  const stack = state.key === resetKey ? state.stack : [];
  if (state.key !== resetKey) setState({ key: resetKey, stack: [] });
  return {
    after: stack.at(-1) ?? null,
    page: stack.length + 1,
    next: (cursor) => setState({ key: resetKey, stack: [...stack, cursor] }),
    previous: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}

/** Previous and next page buttons; `pageInfo` is the connection's `...PageEnd` (src/operations/paging.graphql). */
export function Pager({ pager, pageInfo }: { pager: PagerState; pageInfo: PageEndFragment }) {
  const { hasNextPage, endCursor } = pageInfo;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        ← Previous
      </button>
      <span data-testid="page-number">page {pager.page}</span>
      <button type="button" onClick={() => endCursor && pager.next(endCursor)} disabled={!hasNextPage || !endCursor}>
        Next →
      </button>
    </nav>
  );
}
