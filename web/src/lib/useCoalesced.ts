import { useCallback, useEffect, useRef } from 'react';

/**
 * `fn`, called at most once per `delayMs` however often it is asked for: a burst of changes (a replay
 * after a reconnect, a bulk edit) reads the page once, not once per change.
 */
export function useCoalesced(fn: () => unknown, delayMs: number): () => void {
  const latest = useRef(fn);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    latest.current = fn;
  });
  useEffect(
    () => () => {
      clearTimeout(timer.current);
      timer.current = undefined;
    },
    [],
  );
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      // A read that fails shows on the page through its query's error; nothing more to do here.
      Promise.resolve(latest.current()).catch(() => undefined);
    }, delayMs);
  }, [delayMs]);
}
