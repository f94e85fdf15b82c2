import { ApolloServer, HeaderMap } from '@apollo/server';
import { ANONYMOUS } from '../../auth/identity';
import { ServiceMetrics } from '../../metrics/metrics';
import { requestLogPlugin } from '../../server/requestLogPlugin';
import { createLogger } from '../logger';

/** What a terminal would show: every byte a pretty logger writes, colours stripped. */
class Terminal {
  text = '';
  write(chunk: string): void {
    this.text += chunk;
  }
  lines(): string[] {
    // pino-pretty's colours are escape sequences.
    return this.text
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .filter((line) => line !== '');
  }
}

function prettyLogger(terminal: Terminal) {
  return createLogger({ service: 'car', level: 'info', pretty: true, destination: terminal });
}

const typeDefs = 'type Query { cars: [String!]! }';
const resolvers = { Query: { cars: () => ['a', 'b'] } };

describe('pretty logs (LOG_PRETTY=true, what npm start shows)', () => {
  it('write one line per request: method, operation, status, outcome, duration and request id', async () => {
    const terminal = new Terminal();
    const log = prettyLogger(terminal);
    const server = new ApolloServer({
      typeDefs,
      resolvers,
      plugins: [requestLogPlugin(log, new ServiceMetrics('car'))],
    });
    await server.start();
    const REQUESTS = 72;
    try {
      for (let i = 0; i < REQUESTS; i += 1) {
        await server.executeOperation(
          {
            query: 'query Cars { cars }',
            operationName: 'Cars',
            http: { method: 'POST', headers: new HeaderMap(), search: '', body: {} },
          },
          { contextValue: { requestId: `req-${i}`, caller: { ...ANONYMOUS, userId: 'u-1' } } },
        );
      }
    } finally {
      await server.stop();
    }
    const lines = terminal.lines();
    expect(lines).toHaveLength(REQUESTS);
    lines.forEach((line, i) => {
      expect(line).toMatch(
        new RegExp(`INFO \\(car\\): request POST Cars 200 OK \\d+ ms, request req-${i} \\{"userId":"u-1"\\}$`),
      );
    });
  });

  it("write a gateway's request with its subgraph calls on one line", () => {
    const terminal = new Terminal();
    prettyLogger(terminal).info(
      {
        method: 'POST',
        operationName: null,
        status: 200,
        outcome: 'FORBIDDEN',
        errors: 1,
        durationMs: 31,
        requestId: 'req-g',
        traceId: 'abc',
        userId: null,
        subgraphs: [
          { subgraph: 'car', durationMs: 12, outcome: 'OK' },
          { subgraph: 'user', durationMs: 7, outcome: 'FORBIDDEN' },
        ],
      },
      'request',
    );
    expect(terminal.lines()).toEqual([
      expect.stringMatching(
        / request POST \(anonymous\) 200 FORBIDDEN 31 ms, request req-g \(car 12 ms OK, user 7 ms FORBIDDEN\)$/,
      ),
    ]);
  });

  it("keep other records' fields on their line, and an unexpected error's stack below it", () => {
    const terminal = new Terminal();
    const log = prettyLogger(terminal);
    log.warn({ subgraph: 'car', requestId: 'req-w', timeoutMs: 500 }, 'subgraph deadline exceeded');
    expect(terminal.lines()).toEqual([
      expect.stringMatching(
        /WARN \(car\): subgraph deadline exceeded \{"subgraph":"car","requestId":"req-w","timeoutMs":500\}$/,
      ),
    ]);

    log.error({ err: new Error('disk on fire') }, 'cannot read the event feed');
    const errorLines = terminal.lines().slice(1);
    expect(errorLines[0]).toMatch(/ERROR \(car\): cannot read the event feed/);
    expect(errorLines.join('\n')).toMatch(/disk on fire[\s\S]*\n\s+at /);
  });
});
