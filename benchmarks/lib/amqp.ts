import { connect, type Channel } from 'amqplib';

/** The broker the RabbitMQ runs use (AMQP_URL, else a local RabbitMQ with its default account). */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Runs `work` on a channel of its own connection: a run declares (or deletes) its exchange and queues with it. */
export async function withAmqp(work: (channel: Channel) => Promise<void>): Promise<void> {
  const connection = await connect(AMQP_URL);
  try {
    await work(await connection.createChannel());
  } finally {
    await connection.close();
  }
}
