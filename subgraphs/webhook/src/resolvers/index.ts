import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { WebhookDelivery } from './delivery';
import { WebhookEndpoint } from './endpoint';
import { Mutation } from './mutation';
import { Query } from './query';

export const resolvers: Resolvers = { DateTime: DateTimeResolver, Query, Mutation, WebhookEndpoint, WebhookDelivery };
