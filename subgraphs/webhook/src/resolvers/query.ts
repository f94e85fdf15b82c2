import { found } from '@car-check/service-kit';
import { containsText, fetchPage, parseId, parsePage, validate } from '@car-check/subgraph-kit';
import type { Prisma } from '../__generated__/prisma/client';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { webhookDeliveryFilter, webhookEndpointFilter } from '../validation';
import { deliveryWhere, ENDPOINTS_OLDEST_FIRST, NEWEST_DELIVERIES_FIRST } from './deliveryQueries';

export const Query: QueryResolvers = {
  webhookEndpoint: (_parent, { id }, { loaders }) =>
    found('WebhookEndpoint', id, loaders.endpointById.load(parseId(id))),

  webhookEndpoints: (_parent, args, { prisma }) => {
    const filter = validate(webhookEndpointFilter, args.filter, 'filter');
    const where: Prisma.WebhookEndpointWhereInput = {
      ...(filter?.enabled != null ? { enabled: filter.enabled } : {}),
      ...(filter?.url ? { url: containsText(filter.url) } : {}),
    };
    return fetchPage(prisma.webhookEndpoint, where, ENDPOINTS_OLDEST_FIRST, parsePage(args, ENDPOINTS_OLDEST_FIRST));
  },

  webhookDeliveries: (_parent, args, { prisma }) => {
    const filter = validate(webhookDeliveryFilter, args.filter, 'filter');
    const page = parsePage(args, NEWEST_DELIVERIES_FIRST);
    return fetchPage(prisma.webhookDelivery, deliveryWhere(filter), NEWEST_DELIVERIES_FIRST, page);
  },
};
