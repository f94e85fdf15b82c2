import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { CarChangesDocument, type CarChangeFilter, type CarChangesSubscription } from '../__generated__/graphql';
import type { ResponseListener } from '../apollo';
import { issuesFromError } from './apolloIssues';
import { reconnectDelayMs, streamEndOf, type LiveState } from './liveChanges';

export type CarChange = CarChangesSubscription['carChanged'];

export interface CarChangesOptions {
  /** Which cars (`null`: all). A new filter is a new stream, from now. */
  filter: CarChangeFilter | null;
  /** Each change (which car, how, its cursor): the page reads again what it shows of that car. */
  onChange(change: CarChange): void;
  /**
   * Changes may have been missed and cannot be replayed (the stream reopened with no cursor yet, or its
   * cursor was refused): read the page again.
   */
  onResync(): void;
}

/**
 * Follows `carChanged` through the gateway over Apollo Client's HttpLink (multipart subscriptions), and
 * keeps following it: when the stream ends or cannot open (a gateway restart, the network), it reopens
 * it with `after:` = the cursor of the last change received, so that every change committed meanwhile
 * arrives, in order, before the live ones. Returns where the stream stands, for the page's banner.
 */
export function useCarChanges({ filter, onChange, onResync }: CarChangesOptions): LiveState {
  const client = useApolloClient();
  const [state, setState] = useState<LiveState>('connecting');
  // The page's latest handlers, without reopening the stream each time the page renders.
  const handlers = useRef({ onChange, onResync });
  useEffect(() => {
    handlers.current = { onChange, onResync };
  });
  const filterKey = JSON.stringify(filter);

  useEffect(() => {
    const streamFilter = JSON.parse(filterKey) as CarChangeFilter | null;
    let stopped = false;
    /** The cursor of the last change received: where a reopened stream resumes. */
    let cursor: string | null = null;
    let failures = 0;
    let attempts = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stream: { unsubscribe(): void } | undefined;

    const open = () => {
      let ended = false;
      const retrying = attempts++ > 0;
      const onResponse: ResponseListener['onResponse'] = (response) => {
        if (stopped || ended || !response.ok) return;
        failures = 0;
        setState('live');
        // A stream reopened without a cursor starts now: what changed while none was open is read instead.
        if (retrying && cursor === null) handlers.current.onResync();
      };
      const end = (error?: unknown) => {
        if (stopped || ended) return;
        ended = true;
        stream?.unsubscribe();
        const how = streamEndOf(issuesFromError(error).map((issue) => issue.code));
        if (how === 'off') {
          setState('off');
          return;
        }
        // The page is read again once the new stream, without a cursor, is open (above).
        if (how === 'resync') cursor = null;
        setState('reconnecting');
        retry = setTimeout(open, reconnectDelayMs(failures++));
      };
      stream = client
        .subscribe({
          query: CarChangesDocument,
          variables: { filter: streamFilter, after: cursor },
          // A change that comes with an error beside it is still a change: its cursor counts.
          errorPolicy: 'all',
          // Nothing to cache: an event names a change, the page reads the car itself. (The result that ends
          // a multipart stream, an error with no data, would be written as a result missing its field.)
          fetchPolicy: 'no-cache',
          context: { fetchOptions: { onResponse } },
        })
        .subscribe({
          next: (result) => {
            const change = result.data?.carChanged;
            if (change) {
              cursor = change.cursor;
              handlers.current.onChange(change);
            } else if (result.error) end(result.error);
          },
          error: end,
          // The gateway ends a stream with an error naming its cursor; a bare end (a dropped
          // connection mid-body) is resumed all the same.
          complete: () => end(),
        });
    };

    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      stream?.unsubscribe();
    };
  }, [client, filterKey]);

  return state;
}
