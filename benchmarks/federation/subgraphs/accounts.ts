/**
 * `accounts` subgraph of the community federation benchmark
 * (graphql-hive/graphql-gateways-benchmark, subgraphs/accounts.rs), ported
 * field for field: same federation-v1 SDL as async-graphql emits, same
 * constant data, same resolver semantics.
 */
import { parse } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { referenceByKey } from './reference';

export const typeDefs = parse(/* GraphQL */ `
  extend type Query {
    me: User
    user(id: ID!): User
    users: [User]
  }

  type User @key(fields: "id") {
    id: ID!
    name: String
    username: String
    birthday: Int
  }
`);

interface User {
  id: string;
  name: string | null;
  username: string | null;
  birthday: number | null;
}

export const USERS: readonly User[] = [
  { id: '1', name: 'Uri Goldshtein', username: 'urigo', birthday: 1234567890 },
  { id: '2', name: 'Dotan Simha', username: 'dotansimha', birthday: 1234567890 },
  { id: '3', name: 'Kamil Kisiela', username: 'kamilkisiela', birthday: 1234567890 },
  { id: '4', name: 'Arda Tanrikulu', username: 'ardatan', birthday: 1234567890 },
  { id: '5', name: 'Gil Gardosh', username: 'gilgardosh', birthday: 1234567890 },
  { id: '6', name: 'Laurin Quast', username: 'laurin', birthday: 1234567890 },
];

export const resolvers: GraphQLResolverMap<unknown> = {
  Query: {
    me: () => USERS[0],
    user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id) ?? null,
    users: () => USERS,
  },
  User: {
    // The Rust resolver `find_user_by_id` unwraps: an unknown id is an error there too.
    __resolveReference: referenceByKey('accounts', 'User', USERS, 'id'),
  },
};
