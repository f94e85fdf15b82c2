import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { createLogger } from '@car-check/service-kit';
import type { AuditEventRecord } from '../cloudEvent';
import { outboxWritten } from '../outboxSignal';
import { EventRelay, type RelaySql } from '../relay';
import { EventSigner } from '../signature';
import { testConfig } from '@car-check/test-support/config';
import { requireServices } from '@car-check/test-support/services';

/** RabbitMQ, as on the development machine and in CI. */
const AMQP_URL = testConfig.TEST_AMQP_URL;
// Without RabbitMQ, every test here stops with "RabbitMQ unreachable at …", not a failed assertion.
beforeAll(() => requireServices('rabbitmq'));
/** Far longer than the test waits: anything published came from the nudge, not from a poll. */
const POLL_MS = 120_000;

/** An outbox in memory: the rows the relay reads, and which ones it marked published. */
function fakeOutbox() {
  const rows: AuditEventRecord[] = [];
  const published = new Set<string>();
  let sequence = 0;
  const db: RelaySql = {
    $queryRaw: (<T>() => Promise.resolve(rows.filter((row) => !published.has(row.id)) as T)) as RelaySql['$queryRaw'],
    $executeRaw: ((_query: TemplateStringsArray, ...values: unknown[]) => {
      for (const id of values[0] as string[]) published.add(id);
      return Promise.resolve((values[0] as string[]).length);
    }) as RelaySql['$executeRaw'],
  };
  const write = () => {
    sequence += 1;
    rows.push({
      id: randomUUID(),
      entity: 'CostCenter',
      entityId: randomUUID(),
      action: 'UPDATE',
      actorId: null,
      requestId: `relay-test-${sequence}`,
      traceId: null,
      revision: 2,
      at: new Date(),
      sequence,
      changes: [{ field: 'code', from: '"A"', to: '"B"' }],
    });
  };
  return { db, write, published };
}

describe('the event relay', () => {
  const exchange = `car-check.events.relay-test-${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    const connection = await connect(AMQP_URL);
    try {
      await (await connection.createChannel()).deleteExchange(exchange);
    } finally {
      await connection.close();
    }
  });

  it('publishes a row as soon as a write of its process commits, without waiting for its next poll', async () => {
    const outbox = fakeOutbox();
    const relay = new EventRelay({
      subgraph: 'cost-center',
      db: outbox.db,
      settings: { url: AMQP_URL, exchange, queue: undefined, relayBatch: 100, relayPollMs: POLL_MS, prefetch: 1 },
      signer: new EventSigner('cost-center', generateKeyPairSync('ed25519').privateKey),
      log: createLogger({ service: 'cost-center', level: 'silent', pretty: false }),
    });
    relay.start();
    try {
      // Connected, and idle (its first look found nothing): now waiting POLL_MS for its next poll.
      const deadline = Date.now() + 30_000;
      while (!relay.status().connected) {
        if (Date.now() > deadline) throw new Error('the relay did not connect to RabbitMQ');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(relay.status().published).toBe(0);

      outbox.write();
      outboxWritten();
      const until = Date.now() + 30_000;
      while (relay.status().published < 1 && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(relay.status().published).toBe(1);
      expect(outbox.published.size).toBe(1);
    } finally {
      await relay.stop();
    }
  });
});
