import type { ConsumerSql, FeedConsumer } from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import type { SubgraphConfig, SubgraphHooks } from '@car-check/subgraph-kit';
import { EVENT_OWNERS, webhookSettingsFromEnv, type WebhookSettings } from './config';
import { DeliveryClock } from './delivery/clock';
import { eventConsumer } from './delivery/consumers';
import { Dispatcher } from './delivery/dispatcher';
import { deliveryMetrics } from './delivery/metrics';
import { systemResolver, type Resolver, type UrlPolicy } from './delivery/resolveTarget';
import { SecretBox } from './delivery/secrets';
import type { PrismaClient } from './prisma';

/** What the webhook subgraph builds once at start (BootedSubgraph.services). */
export interface WebhookServices {
  settings: WebhookSettings;
  policy: UrlPolicy;
  box: SecretBox;
  clock: DeliveryClock;
  /** How endpoint hosts are resolved, at registration and at every attempt (tests put their own). */
  dns: { resolve: Resolver };
  dispatcher: Dispatcher;
  consumers: FeedConsumer<ConsumerSql>[];
}

export function webhookServices(deps: {
  prisma: PrismaClient;
  log: Logger;
  config: SubgraphConfig;
  signingSecret: Buffer;
  metrics: ServiceMetrics;
}): WebhookServices {
  const { prisma, log, config, signingSecret, metrics } = deps;
  const settings = webhookSettingsFromEnv(config.env, config.production);
  if (settings.allowPrivateUrls) {
    log.warn(
      { variable: 'WEBHOOK_ALLOW_PRIVATE_URLS' },
      'webhooks: development default: endpoints may be http:// and loopback or private addresses (e.g. http://127.0.0.1); production refuses them',
    );
  }
  const box = settings.secretsKey ? new SecretBox(settings.secretsKey) : SecretBox.development(signingSecret);
  const clock = new DeliveryClock();
  const dns = { resolve: systemResolver };
  const dispatcher = new Dispatcher({
    prisma,
    log,
    settings,
    clock,
    resolver: () => dns.resolve,
    box,
    metrics: deliveryMetrics(metrics.registry),
  });
  const consumers = EVENT_OWNERS.map((owner) =>
    eventConsumer(owner, {
      prisma,
      log,
      config,
      signingSecret,
      clock,
      registry: metrics.registry,
      onQueued: () => dispatcher.wake(),
    }),
  );
  return { settings, policy: { allowPrivate: settings.allowPrivateUrls }, box, clock, dns, dispatcher, consumers };
}

/** Consumers of the owners' events (feed or broker) and the dispatcher that sends the deliveries, run while it serves. */
export const deliveryHooks: SubgraphHooks<PrismaClient, WebhookServices> = {
  setup: async ({ prisma, log, config, signingSecret, metrics }) => {
    const services = webhookServices({ prisma, log, config, signingSecret, metrics });
    for (const consumer of services.consumers) consumer.start();
    services.dispatcher.start();
    return {
      services,
      stop: async () => {
        await Promise.all(services.consumers.map((consumer) => consumer.stop()));
        await services.dispatcher.stop();
      },
      status: () => ({
        consumers: Object.fromEntries(services.consumers.map((consumer) => [consumer.name, consumer.status()])),
        dispatcher: services.dispatcher.status(),
      }),
    };
  },
};
