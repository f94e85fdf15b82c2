import { found } from '@car-check/service-kit';
import { entityRef, fetchPage, isId, parsePage, validate } from '@car-check/subgraph-kit';
import type { WebhookEndpointResolvers } from '../__generated__/resolvers-types';
import { NEWEST_DELIVERIES_FIRST, deliveryWhere } from './deliveryQueries';
import { webhookDeliveryFilter } from '../validation';

export const WebhookEndpoint: WebhookEndpointResolvers = {
  __resolveReference: (reference, { loaders }) => {
    const lookup = isId(reference.id) ? loaders.endpointById.load(reference.id) : Promise.resolve(null);
    return found('WebhookEndpoint', String(reference.id), lookup);
  },
  signing: (endpoint) => (endpoint.signing === 'ED25519' ? 'ED25519' : 'HMAC_SHA256'),
  // Never the secrets themselves: only when the one replaced by a rotation stops signing.
  previousSecretExpiresAt: (endpoint) => (endpoint.previousSecret ? endpoint.previousSecretUntil : null),
  createdBy: (endpoint) => entityRef(endpoint.createdBy),
  deliveries: (endpoint, args, { prisma }) => {
    const filter = validate(webhookDeliveryFilter, args.filter, 'filter');
    const page = parsePage(args, NEWEST_DELIVERIES_FIRST);
    return fetchPage(
      prisma.webhookDelivery,
      { AND: [deliveryWhere(filter), { endpointId: endpoint.id }] },
      NEWEST_DELIVERIES_FIRST,
      page,
    );
  },
};
