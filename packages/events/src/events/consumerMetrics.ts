import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConsumerStatus, FeedConsumer } from './consumer';
import type { ConsumerSql } from './consumerStore';

export interface ConsumerMetrics {
  connected: Gauge<'consumer'>;
  lag: Gauge<'consumer'>;
  lastApplied: Gauge<'consumer'>;
  applied: Counter<'consumer'>;
  deadLetters: Counter<'consumer'>;
  rejected: Counter<'consumer' | 'reason'>;
  consumers: Set<FeedConsumer<ConsumerSql>>;
}

// One set of metrics per registry (per service), shared by its consumers through the `consumer` label.
const metricsByRegistry = new WeakMap<Registry, ConsumerMetrics>();

export function consumerMetrics(registry: Registry): ConsumerMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (metrics) return metrics;
  const consumers = new Set<FeedConsumer<ConsumerSql>>();
  const gauge = (name: string, help: string, read: (status: ConsumerStatus) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['consumer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const consumer of consumers) {
          const value = read(consumer.status());
          if (value !== null) this.set({ consumer: consumer.name }, value);
        }
      },
    });
  metrics = {
    consumers,
    connected: gauge(
      'events_consumer_connected',
      'Event consumers: 1 when the last poll reached the owner’s feed.',
      (s) => (s.connected ? 1 : 0),
    ),
    lag: gauge(
      'events_consumer_lag_seconds',
      'Event consumers: how far behind the owner’s feed (0 when caught up).',
      (s) => s.lagSeconds,
    ),
    lastApplied: gauge(
      'events_consumer_last_applied_timestamp_seconds',
      'Event consumers: when the last event applied was made (Unix time).',
      (s) => (s.lastAppliedEventTime ? Date.parse(s.lastAppliedEventTime) / 1000 : null),
    ),
    applied: new Counter({
      name: 'events_applied_total',
      help: 'Events applied by each consumer.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'events_dead_letters_total',
      help: 'Events a consumer could not apply after its attempts, written to event_dead_letter.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'events_rejected_total',
      help: 'Events a consumer refused because their owner did not sign them (also counted in events_dead_letters_total), by reason.',
      labelNames: ['consumer', 'reason'],
      registers: [registry],
    }),
  };
  metricsByRegistry.set(registry, metrics);
  return metrics;
}
