import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { FleetChangeGroup, FleetGroup, FleetGroupKey, FleetReport } from './fleet';
import { Query } from './query';

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query,
  FleetReport,
  FleetGroup,
  FleetGroupKey,
  FleetChangeGroup,
};
