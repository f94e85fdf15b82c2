import { createParser } from 'eventsource-parser';
import { waitFor } from './waitFor';

/** One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface ServerSentEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * A text/event-stream response read as it arrives (parsed by eventsource-parser): its events
 * in order, how many comments (heartbeats) came, and whether the server ended it.
 */
export class EventStreamReader {
  readonly events: ServerSentEvent[] = [];
  comments = 0;
  ended = false;
  private readonly controller: AbortController;
  private readonly reading: Promise<void>;

  constructor(
    readonly response: Response,
    controller: AbortController,
  ) {
    this.controller = controller;
    this.reading = this.read();
  }

  /** Waits until `count` events have arrived (generous by default: the machine is shared). */
  async waitForEvents(count: number, timeoutMs = 30_000): Promise<ServerSentEvent[]> {
    await waitFor(
      () => this.events.length >= count || this.ended,
      timeoutMs,
      `${count} server-sent events (have ${this.events.length})`,
    );
    if (this.events.length < count) {
      throw new Error(
        `The stream ended after ${this.events.length} of ${count} events: ${JSON.stringify(this.events)}`,
      );
    }
    return this.events.slice(0, count);
  }

  /** Waits until the server ends the stream. */
  async waitForEnd(timeoutMs = 30_000): Promise<void> {
    await waitFor(() => this.ended, timeoutMs, 'the end of the event stream');
  }

  /** The payloads of its `next` events, parsed. */
  get payloads(): { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }[] {
    return this.events.filter((event) => event.event === 'next').map((event) => JSON.parse(event.data));
  }

  /** Hangs up (the client goes away). */
  async close(): Promise<void> {
    this.controller.abort();
    await this.reading;
  }

  private async read(): Promise<void> {
    const body = this.response.body;
    if (!body) {
      this.ended = true;
      return;
    }
    const decoder = new TextDecoder();
    const parser = createParser({
      onEvent: ({ event, id, data }) =>
        this.events.push({ event: event ?? 'message', data, ...(id !== undefined ? { id } : {}) }),
      onComment: () => {
        this.comments += 1;
      },
    });
    try {
      const reader = body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        parser.feed(decoder.decode(chunk.value, { stream: true }));
    } catch {
      // Aborted by close(), or the connection was cut: the stream is over either way.
    }
    this.ended = true;
  }
}

/** POSTs `body` asking for text/event-stream and starts reading the answer, whatever its status. */
export async function openEventStream(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<EventStreamReader> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body,
    signal: controller.signal,
  });
  return new EventStreamReader(response, controller);
}
