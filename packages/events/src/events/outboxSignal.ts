/**
 * Tells this process's event relays that a write has just committed, so that
 * the new outbox row is published now rather than at the relay's next poll
 * (EVENTS_RELAY_POLL_MS). Only a hint: a relay still polls, which covers rows
 * written by other processes (another instance, a script).
 */
const listeners = new Set<() => void>();

/** Called after a write's transaction commits (packages/subgraph-kit/src/audit/mutations.ts). */
export function outboxWritten(): void {
  for (const listener of listeners) listener();
}

/** Subscribes to {@link outboxWritten}; returns the unsubscribe function. */
export function onOutboxWritten(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
