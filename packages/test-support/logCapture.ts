import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@car-check/service-kit';

/** A logger whose JSON lines are kept in memory, for tests that check what was logged. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly log: Logger;

  constructor(service: string) {
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    this.log = createLogger({ service, level: 'debug', pretty: false, destination: stream });
  }

  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  text(): string {
    return this.lines.join('\n');
  }
}
