import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { CostCenter } from './costCenter';
import { Mutation } from './mutation';
import { Query } from './query';
import { User } from './user';

export const resolvers: Resolvers = { DateTime: DateTimeResolver, Query, Mutation, CostCenter, User };
