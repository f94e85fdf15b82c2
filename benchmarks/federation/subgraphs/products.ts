/**
 * `products` subgraph of the community federation benchmark
 * (graphql-hive/graphql-gateways-benchmark, subgraphs/products.rs).
 */
import { parse } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { referenceByKey } from './reference';

export const typeDefs = parse(/* GraphQL */ `
  type Product @key(fields: "upc") {
    upc: String!
    name: String
    price: Int
    weight: Int
  }

  extend type Query {
    topProducts(first: Int = 5): [Product]
  }
`);

interface Product {
  upc: string;
  name: string | null;
  price: number | null;
  weight: number | null;
}

export const PRODUCTS: readonly Product[] = [
  { upc: '1', name: 'Table', price: 899, weight: 100 },
  { upc: '2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: '3', name: 'Glass', price: 15, weight: 20 },
  { upc: '4', name: 'Chair', price: 499, weight: 100 },
  { upc: '5', name: 'TV', price: 1299, weight: 1000 },
  { upc: '6', name: 'Lamp', price: 6999, weight: 300 },
  { upc: '7', name: 'Grill', price: 3999, weight: 2000 },
  { upc: '8', name: 'Fridge', price: 100000, weight: 6000 },
  { upc: '9', name: 'Sofa', price: 9999, weight: 800 },
];

export const resolvers: GraphQLResolverMap<unknown> = {
  Query: {
    topProducts: (_: unknown, { first }: { first?: number | null }) => PRODUCTS.slice(0, Math.max(0, first ?? 5)),
  },
  Product: {
    __resolveReference: referenceByKey('products', 'Product', PRODUCTS, 'upc'),
  },
};
