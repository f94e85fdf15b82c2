import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { AuthMutation, AuthQuery } from './auth';
import { Mutation } from './mutation';
import { Query } from './query';
import { User } from './user';

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query: { ...Query, ...AuthQuery },
  Mutation: { ...Mutation, ...AuthMutation },
  User,
};
