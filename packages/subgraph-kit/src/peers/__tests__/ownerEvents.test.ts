import { AmqpConsumer, type ConsumerSql, FeedConsumer } from '@car-check/events';
import { createLogger } from '@car-check/service-kit';
import { subgraphConfigFromEnv } from '../../config/service';
import { type ConsumerDatabase, consumerTransaction, ownerEventConsumer, ownerFeedSource } from '../ownerEvents';

const signingSecret = Buffer.from('a development signing secret of 32+ characters');
const configOf = (env: NodeJS.ProcessEnv) =>
  subgraphConfigFromEnv(
    { name: 'car', dataFolder: 'car', defaultSchema: 'car', peers: ['cost-center'], consumes: ['cost-center'] },
    env,
  );

/** Records the options each transaction is opened with; runs the work on a stand-in client. */
function recordingDatabase() {
  const opened: { maxWait: number; timeout: number }[] = [];
  const sql: ConsumerSql = {
    $executeRaw: () => Promise.resolve(0),
    $queryRaw: <T>() => Promise.resolve([] as T),
  };
  const database: ConsumerDatabase = {
    ...sql,
    $transaction: (work, options) => {
      opened.push(options);
      return work(sql);
    },
  };
  return { database, opened };
}

const consumerOf = (env: NodeJS.ProcessEnv, queue = (eventsQueue: string | undefined) => eventsQueue ?? 'the-queue') =>
  ownerEventConsumer({
    owner: 'cost-center',
    name: 'cost-center-replica',
    prisma: recordingDatabase().database,
    apply: () => Promise.resolve(),
    log: createLogger({ service: 'test', level: 'silent', pretty: false }),
    config: configOf(env),
    signingSecret,
    queue,
  });

describe('ownerEventConsumer', () => {
  it("polls the owner's feed when AMQP_URL is unset", () => {
    const consumer = consumerOf({});
    expect(consumer).not.toBeInstanceOf(AmqpConsumer);
    expect(consumer).toBeInstanceOf(FeedConsumer);
    expect(consumer.name).toBe('cost-center-replica');
    expect(consumer.status()).toMatchObject({ owner: 'cost-center', mode: 'feed', running: false });
  });

  it('reads the queue it names when AMQP_URL is set, given EVENTS_QUEUE when that is set', () => {
    const broker = { AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672' };
    expect(consumerOf(broker).status()).toMatchObject({ mode: 'amqp', queue: 'the-queue' });
    const ownQueues = consumerOf({ ...broker, EVENTS_QUEUE: 'run-1' }, (eventsQueue) => `${eventsQueue}.replica`);
    expect(ownQueues).toBeInstanceOf(AmqpConsumer);
    expect(ownQueues.status()).toMatchObject({ mode: 'amqp', queue: 'run-1.replica' });
  });
});

describe('ownerFeedSource', () => {
  it("reads the owner's URL on every call (peers filled in late) and signs as this subgraph", () => {
    const config = configOf({});
    const source = ownerFeedSource('cost-center', { config, signingSecret });
    expect(source.owner).toBe('cost-center');
    expect(source.signer).toEqual({ service: 'car', secret: signingSecret });
    config.peers['cost-center'] = 'http://127.0.0.1:9/graphql';
    expect(source.feedUrl()).toBe('http://127.0.0.1:9/events');
    delete config.peers['cost-center'];
    expect(source.feedUrl()).toBeUndefined();
  });
});

describe('consumerTransaction', () => {
  it("bounds each transaction by the consumer's timeout, 30 s when it gives none", async () => {
    const { database, opened } = recordingDatabase();
    const transaction = consumerTransaction(database);
    await expect(transaction(() => Promise.resolve('done'))).resolves.toBe('done');
    await transaction(() => Promise.resolve(), { timeoutMs: 5_000 });
    expect(opened).toEqual([
      { maxWait: 10_000, timeout: 30_000 },
      { maxWait: 10_000, timeout: 5_000 },
    ]);
  });
});
