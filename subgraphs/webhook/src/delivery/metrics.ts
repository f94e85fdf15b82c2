import { Counter, Histogram, type Registry } from 'prom-client';

/** The dispatcher's metrics: attempts by outcome, their latency, endpoints it disabled. */
export function deliveryMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  return {
    attempts: new Counter({
      name: 'webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed, refused).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'webhook_delivery_attempt_seconds',
      help: 'How long one webhook delivery attempt took.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    disabled: new Counter({
      name: 'webhook_endpoints_disabled_total',
      help: 'Endpoints the dispatcher disabled, by reason (gone: a 410; exhausted: every retry failed).',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

export type DeliveryMetrics = ReturnType<typeof deliveryMetrics>;
