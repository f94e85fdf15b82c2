import { readEventStream } from '../sse';

/** The subgraph's event stream as it may arrive: split anywhere, CRLF or LF, heartbeats between events. */
async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

describe('readEventStream', () => {
  it('reads events, their ids and multi-line data, whatever the chunking and line endings', async () => {
    const events = [];
    for await (const event of readEventStream(
      chunks(
        ':\n\nevent: ne',
        'xt\nid: Y2FyOjE\ndata: {"data":',
        '{"a":1}}\n\n',
        ':\r\n\r\nevent: next\r\ndata: a\r\ndata: b\r',
        '\n\r\nevent: complete\ndata:\n\n',
      ),
    )) {
      events.push(event);
    }
    expect(events).toEqual([
      { event: 'next', id: 'Y2FyOjE', data: '{"data":{"a":1}}' },
      { event: 'next', data: 'a\nb' },
      { event: 'complete', data: '' },
    ]);
  });

  it('drops an event cut before its blank line', async () => {
    const events = [];
    for await (const event of readEventStream(chunks('event: next\ndata: {}\n'))) events.push(event);
    expect(events).toEqual([]);
  });
});
