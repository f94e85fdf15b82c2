import { graphError, notFound, outOfRange } from '@car-check/service-kit';
import { auditedEntity, parseId, validate } from '@car-check/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { replayRange } from '../delivery/replay';
import { RefusedUrl, resolveTarget } from '../delivery/resolveTarget';
import { generateSecret } from '../delivery/secrets';
import { queueTestEvent } from '../delivery/testEvent';
import {
  createWebhookEndpointInput,
  graceSeconds as graceSecondsSchema,
  replayWebhookEventsInput,
  updateWebhookEndpointInput,
} from '../validation';

/** Endpoint writes: each one transaction with its audit record and the client's Idempotency-Key. Secrets are never audited. */
const endpoints = auditedEntity({
  entity: 'WebhookEndpoint',
  prisma: (context: Context) => context.prisma,
  model: (tx) => tx.webhookEndpoint,
  diff: { secret: ['secret', 'previousSecret'] },
});

const DEFAULT_GRACE_SECONDS = 24 * 3600;

/** Refuses a URL the delivery would refuse (after DNS resolution), as a field error. */
async function checkUrl(context: Context, url: string, field: string): Promise<void> {
  const { policy, dns } = context.services;
  try {
    await resolveTarget(url, policy, dns.resolve);
  } catch (error) {
    if (error instanceof RefusedUrl) throw graphError('INVALID_ARGUMENT', `${field} ${error.message}.`, { field });
    throw error;
  }
}

async function existing(context: Context, id: string) {
  const endpoint = await context.loaders.endpointById.load(id);
  if (!endpoint) throw notFound('WebhookEndpoint', id);
  return endpoint;
}

export const Mutation: MutationResolvers = {
  createWebhookEndpoint: async (_parent, { input }, context, info) => {
    const data = validate(createWebhookEndpointInput, input, 'input');
    await checkUrl(context, data.url, 'input.url');
    const signing = data.signing ?? 'HMAC_SHA256';
    const generated = generateSecret(signing);
    const endpoint = await endpoints.create(endpoints.write(context, info, { input }), (tx) =>
      tx.webhookEndpoint.create({
        data: {
          url: data.url,
          description: data.description ?? '',
          eventTypes: data.eventTypes,
          costCenterIds: data.costCenterIds ?? [],
          societyNames: data.societyNames ?? [],
          signing,
          secret: context.services.box.seal(generated.stored),
          publicKey: generated.publicKey,
          createdBy: context.caller.userId ?? null,
        },
      }),
    );
    // Shown here only: stored sealed, never returned again.
    return { endpoint, secret: generated.shown };
  },

  updateWebhookEndpoint: async (_parent, args, context, info) => {
    const { expectedRevision, enabled, ...sets } = validate(updateWebhookEndpointInput, args.input, 'input');
    const id = parseId(args.id);
    if (sets.url !== undefined) await checkUrl(context, sets.url, 'input.url');
    const enabling =
      enabled === undefined
        ? {}
        : enabled
          ? { enabled: true, disabledReason: null }
          : { enabled: false, disabledReason: 'disabled by a client' };
    const updated = await endpoints.update(endpoints.write(context, info, args), {
      id,
      expectedRevision,
      sets: { ...sets, ...enabling },
    });
    // Re-enabled: its queued deliveries are due again.
    if (enabled) context.services.dispatcher.wake();
    return updated;
  },

  deleteWebhookEndpoint: (_parent, args, context, info) =>
    endpoints.delete(endpoints.write(context, info, args), parseId(args.id)),

  rotateWebhookSecret: async (_parent, args, context, info) => {
    const id = parseId(args.id);
    const graceSeconds = validate(graceSecondsSchema, args.graceSeconds, 'graceSeconds') ?? DEFAULT_GRACE_SECONDS;
    const current = await existing(context, id);
    const signing = current.signing === 'ED25519' ? 'ED25519' : 'HMAC_SHA256';
    const generated = generateSecret(signing);
    const until = new Date(context.services.clock.now().getTime() + graceSeconds * 1000);
    const sealed = context.services.box.seal(generated.stored);
    const endpoint = await endpoints.update(endpoints.write(context, info, args), {
      id,
      // The secret read above is the one kept for the grace period: refused if it changed meanwhile.
      expectedRevision: current.revision,
      sets: {
        secret: sealed,
        previousSecret: current.secret,
        previousSecretUntil: until,
        publicKey: generated.publicKey,
      },
    });
    return { endpoint, secret: generated.shown };
  },

  sendWebhookTestEvent: async (_parent, args, context) => {
    const id = parseId(args.id);
    await existing(context, id);
    const deliveryId = await context.prisma.$transaction((tx) =>
      queueTestEvent(tx, id, context.services.clock.now(), context.caller.userId ?? null),
    );
    context.services.dispatcher.wake();
    return context.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
  },

  replayWebhookEvents: async (_parent, { input }, context) => {
    const data = validate(replayWebhookEventsInput, input, 'input');
    const endpoint = await existing(context, data.endpointId);
    const range =
      data.owner != null
        ? { owner: data.owner, fromSequence: BigInt(data.fromSequence!), toSequence: BigInt(data.toSequence!) }
        : { from: data.from!, to: data.to! };
    const queued = await context.prisma.$transaction((tx) =>
      replayRange(tx, endpoint, range, context.services.clock.now()),
    );
    if (queued === null)
      throw outOfRange('The range holds more than 10000 events; replay it in parts.', { field: 'input' });
    context.services.dispatcher.wake();
    return { queued };
  },
};
