import { useSyncExternalStore } from 'react';

/**
 * The signed-in session: the access token and who it belongs to. Kept in
 * sessionStorage (this tab only, gone when it closes; never localStorage or a
 * cookie), so a reload stays signed in. The token is sent as
 * `Authorization: Bearer <token>` by the Apollo link in apollo.ts.
 */
export interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; username: string; groups: string[] };
}

interface State {
  session: Session | null;
  /** Why the last session ended, when it was not the user signing out (shown on the sign-in page). */
  endedBecause: string | null;
}

const KEY = 'car-check.session';
// Why the last session ended, kept beside it: a reload of the sign-in page (or one that lands just as
// a request is refused) still says why, until the next sign-in or sign-out.
const ENDED_KEY = 'car-check.session-ended';
const listeners = new Set<() => void>();
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the session lives in memory only
  }
}

function load(): Session | null {
  try {
    const raw = storage()?.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Session;
    return typeof parsed?.token === 'string' && Date.parse(parsed.expiresAt) > Date.now() ? parsed : null;
  } catch {
    return null;
  }
}

function loadEndedBecause(): string | null {
  try {
    return storage()?.getItem(ENDED_KEY) ?? null;
  } catch {
    return null;
  }
}

const restored = load();
let state: State = { session: restored, endedBecause: restored ? null : loadEndedBecause() };

function publish(next: State): void {
  state = next;
  const store = storage();
  if (next.session) store?.setItem(KEY, JSON.stringify(next.session));
  else store?.removeItem(KEY);
  if (next.endedBecause) store?.setItem(ENDED_KEY, next.endedBecause);
  else store?.removeItem(ENDED_KEY);
  clearTimeout(expiryTimer);
  if (next.session) {
    const left = Date.parse(next.session.expiresAt) - Date.now();
    // setTimeout holds at most ~24.8 days; tokens live an hour.
    expiryTimer = setTimeout(
      () => endSession('Your session expired; sign in again.'),
      Math.min(Math.max(left, 0), 2 ** 31 - 1),
    );
  }
  for (const listener of listeners) listener();
}

publish(state);

export function currentSession(): Session | null {
  return state.session;
}

export function startSession(session: Session): void {
  publish({ session, endedBecause: null });
}

/** Ends the session: signed out (no reason), or expired/revoked (the reason is shown). */
export function endSession(reason: string | null = null): void {
  if (!state.session && state.endedBecause === reason) return;
  publish({ session: null, endedBecause: reason });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSessionState(): State {
  return useSyncExternalStore(subscribe, () => state);
}
