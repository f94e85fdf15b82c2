import net from 'node:net';
import express from 'express';
import { waitFor } from '@car-check/test-support/waitFor';
import { probeHalfClosedStream } from '../halfClose';
import { listen } from '../http';

describe('probeHalfClosedStream: a stream whose client is gone', () => {
  /** A server whose `/stream` sends its headers and then nothing (an idle stream), probing as the streams do. */
  async function idleStreamServer(probe: boolean) {
    const app = express();
    const state = { closed: false, written: '' };
    app.post('/stream', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      const stop = probe ? probeHalfClosedStream(res, ':\n\n') : () => {};
      res.once('close', () => {
        state.closed = true;
        stop();
      });
    });
    return { running: await listen(app, '127.0.0.1', 0), state };
  }

  async function openAndLeave(url: string): Promise<net.Socket> {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let headers = '';
    const gotHeaders = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        headers += chunk.toString();
        if (headers.includes('\r\n\r\n')) resolve();
      }),
    );
    socket.write('POST /stream HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n{}');
    await gotHeaders;
    // What an HTTP client does when its reader stops reading a stream: the socket goes.
    socket.destroy();
    return socket;
  }

  it('is released at once when the client leaves, with no event or heartbeat to write', async () => {
    const { running, state } = await idleStreamServer(true);
    try {
      await openAndLeave(running.url);
      // Milliseconds; without the probe the server would learn it only at its next write.
      await waitFor(() => state.closed, 10_000, 'the server to release the stream');
    } finally {
      await running.close(0);
    }
  });

  it('is otherwise left open until something is written (what the probe is for)', async () => {
    const { running, state } = await idleStreamServer(false);
    try {
      await openAndLeave(running.url);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(state.closed).toBe(false);
    } finally {
      await running.close(0);
    }
  });
});
