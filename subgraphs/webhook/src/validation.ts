import { z } from 'zod';
import { expectedRevision, filterInput, idSchema, text, type InputSchemas } from '@car-check/subgraph-kit';

/** `car.created`, `car.*`, `*`: a catalog type, an owner's wildcard, or everything. */
const eventType = z
  .string()
  .trim()
  .regex(/^(\*|[a-z][a-z-]*\.(\*|[a-z][a-z-]*))$/, {
    error: 'must be an event type like `car.created`, `car.*` or `*`',
  });

const eventTypes = z.array(eventType).min(1, { error: 'must name at least one event type' }).max(50);
const url = text(2048);
const description = z.string().trim().max(500, { error: 'must be at most 500 characters' });
const costCenterIds = z.array(idSchema).max(100);
const societyNames = z.array(text(120)).max(100);

export const createWebhookEndpointInput = z.strictObject({
  url,
  description: description.nullish(),
  eventTypes,
  costCenterIds: costCenterIds.nullish(),
  societyNames: societyNames.nullish(),
  signing: z.enum(['HMAC_SHA256', 'ED25519']).nullish(),
});

export const updateWebhookEndpointInput = z.strictObject({
  url: url.optional(),
  description: description.optional(),
  eventTypes: eventTypes.optional(),
  costCenterIds: costCenterIds.optional(),
  societyNames: societyNames.optional(),
  enabled: z.boolean().optional(),
  expectedRevision,
});

const deliveryStatus = z.enum(['PENDING', 'DELIVERED', 'FAILED']);

export const webhookEndpointFilter = filterInput({ enabled: z.boolean().nullish(), url: text(2048).nullish() });

export const webhookDeliveryFilter = filterInput({
  endpointId: idSchema.nullish(),
  status: deliveryStatus.nullish(),
  eventType: text(100).nullish(),
  eventId: text(100).nullish(),
});

const sequence = z.string().regex(/^\d{1,19}$/, { error: 'must be a decimal sequence number' });

/** Either an owner's sequence range or a time range, not both. */
export const replayWebhookEventsInput = z
  .strictObject({
    endpointId: idSchema,
    owner: z.enum(['car', 'cost-center', 'user']).nullish(),
    fromSequence: sequence.nullish(),
    toSequence: sequence.nullish(),
    from: z.date().nullish(),
    to: z.date().nullish(),
  })
  .refine(
    (input) => {
      const bySequence = input.owner != null && input.fromSequence != null && input.toSequence != null;
      const byTime = input.from != null && input.to != null;
      return (
        bySequence !== byTime &&
        (bySequence || (input.owner == null && input.fromSequence == null && input.toSequence == null))
      );
    },
    { error: 'give either owner, fromSequence and toSequence, or from and to' },
  );

/** A rotation's grace period: how long the old secret keeps signing next to the new one. */
export const graceSeconds = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 3600)
  .nullish();

/** Each input type's schema (see InputSchemas). */
export const INPUT_SCHEMAS = {
  CreateWebhookEndpointInput: createWebhookEndpointInput,
  UpdateWebhookEndpointInput: updateWebhookEndpointInput,
  WebhookEndpointFilter: webhookEndpointFilter,
  WebhookDeliveryFilter: webhookDeliveryFilter,
  ReplayWebhookEventsInput: replayWebhookEventsInput,
} satisfies InputSchemas;
