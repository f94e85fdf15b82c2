import type { LiveState } from '../lib/liveChanges';

const TEXT: Record<LiveState, string> = {
  connecting: 'Live updates: connecting…',
  live: 'Live',
  reconnecting: 'Live updates: reconnecting… (changes made meanwhile will follow)',
  off: 'Live updates are off for your account: reload to see changes.',
};

/** Whether the page follows changes as they happen: a quiet mark when it does, a banner when it does not. */
export function LiveStatus({ state }: { state: LiveState }) {
  return (
    <p className={`live-status live-${state}`} role="status" data-testid="live-status" data-state={state}>
      {TEXT[state]}
    </p>
  );
}
