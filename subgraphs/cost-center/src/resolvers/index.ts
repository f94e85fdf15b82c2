import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { CostCenter } from './costCenter';
import { Mutation } from './mutation';
import { Query } from './query';
import { CostCenterChange, Subscription } from './subscription';
import { User } from './user';

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query,
  Mutation,
  Subscription,
  CostCenter,
  CostCenterChange,
  User,
};
