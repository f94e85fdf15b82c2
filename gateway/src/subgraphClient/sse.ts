import { createParser } from 'eventsource-parser';
import type { StreamEvent } from './fetch';

/**
 * Reads a `text/event-stream` body into its events, parsed by eventsource-parser (the HTML
 * standard's rules: `event`, `data`, `id`, comments and heartbeats, any line ending, any
 * chunking). Ends when the body ends; a trailing event without its blank line is dropped, as
 * the standard says.
 */
export async function* readEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder('utf-8');
  const ready: StreamEvent[] = [];
  const parser = createParser({
    onEvent: ({ event, id, data }) =>
      ready.push({ event: event ?? 'message', data, ...(id !== undefined ? { id } : {}) }),
  });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift()!;
  }
}
