import type { ServerResponse } from 'node:http';

/**
 * How often a client that half-closed its connection is checked for still being there: the
 * first write goes at once (a client that is gone answers it with a reset), the next one finds
 * the connection reset.
 */
export const HALF_CLOSED_PROBE_MS = 250;

/**
 * A client's FIN means "I have sent everything" or "I am gone"; TCP tells them apart only when
 * the server writes. A stream (a subscription's events, @defer's parts) may not write for a long
 * while, so once its client half-closes, `probe` (something its reader skips: a heartbeat) is
 * written now and then: to a client that is gone the write fails, the response closes, and
 * whatever the stream holds is released at once rather than at its next event or heartbeat.
 * Returns the function that stops watching (call it when the stream ends).
 */
export function probeHalfClosedStream(res: ServerResponse, probe: string): () => void {
  const socket = res.socket;
  let timer: NodeJS.Timeout | undefined;
  const onEnd = () => {
    const check = () => {
      if (res.destroyed || res.writableEnded) return void clearInterval(timer);
      res.write(probe);
    };
    timer = setInterval(check, HALF_CLOSED_PROBE_MS);
    timer.unref();
    check();
  };
  // Half-closed already (while the stream was being opened): probe from now.
  if (socket?.readableEnded) onEnd();
  else socket?.once('end', onEnd);
  return () => {
    clearInterval(timer);
    socket?.off('end', onEnd);
  };
}
