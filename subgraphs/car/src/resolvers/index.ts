import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { Car } from './car';
import { CostCenter } from './costCenter';
import { Mutation } from './mutation';
import { Query } from './query';
import { CarChange, Subscription } from './subscription';

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query,
  Mutation,
  Subscription,
  Car,
  CarChange,
  CostCenter,
};
