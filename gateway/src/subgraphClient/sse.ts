import type { StreamEvent } from './fetch';

/**
 * Reads a `text/event-stream` body into its events, by the HTML standard's
 * parsing rules (fields `event`, `data`, `id`; comments, heartbeats `:`, and
 * unknown fields ignored; an event is dispatched at a blank line). Ends when
 * the body ends; a trailing event without its blank line is dropped, as the
 * standard says.
 */
export async function* readEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let event: { event: string; id?: string; data: string[] } = { event: '', data: [] };
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = lineEnd(pending)) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(pending[end] === '\r' && pending[end + 1] === '\n' ? end + 2 : end + 1);
      if (line === '') {
        if (event.data.length > 0 || event.event !== '') {
          yield {
            event: event.event || 'message',
            data: event.data.join('\n'),
            ...(event.id !== undefined ? { id: event.id } : {}),
          };
        }
        event = { event: '', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
      if (field === 'event') event.event = value;
      else if (field === 'data') event.data.push(value);
      else if (field === 'id' && !value.includes('\0')) event.id = value;
    }
  }
}

/** Where the first line of `text` ends (CR, LF or CRLF), or -1; a lone CR at the end may be a CRLF's half. */
function lineEnd(text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '\n') return i;
    if (char === '\r') return i + 1 < text.length ? i : -1;
  }
  return -1;
}
