import { found } from '@car-check/service-kit';
import { isId } from '@car-check/subgraph-kit';
import type { WebhookDeliveryResolvers } from '../__generated__/resolvers-types';
import { messageIdOf } from '../delivery/dispatcher';

export const WebhookDelivery: WebhookDeliveryResolvers = {
  __resolveReference: (reference, { loaders }) => {
    const lookup = isId(reference.id) ? loaders.deliveryById.load(reference.id) : Promise.resolve(null);
    return found('WebhookDelivery', String(reference.id), lookup);
  },
  endpoint: (delivery, _args, { loaders }) => loaders.endpointById.load(delivery.endpointId),
  sequence: (delivery) => delivery.sequence.toString(),
  messageId: (delivery) => messageIdOf(delivery.id),
  status: (delivery) => (delivery.status === 'DELIVERED' || delivery.status === 'FAILED' ? delivery.status : 'PENDING'),
};
