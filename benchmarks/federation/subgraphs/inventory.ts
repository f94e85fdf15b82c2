/**
 * `inventory` subgraph of the community federation benchmark
 * (graphql-hive/graphql-gateways-benchmark, subgraphs/inventory.rs).
 *
 * Faithful quirk: the Rust entity resolver `find_product_by_id(upc)` looks the
 * product up in its own INVENTORY table, whose `price` and `weight` are all
 * `None`; the `price`/`weight` the gateway sends in the representation (for
 * `@requires(fields: "price weight")`) are ignored. So `shippingEstimate` is
 * always `null` in the benchmark's responses, and it is `null` here too.
 */
import { parse } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { referenceByKey } from './reference';

export const typeDefs = parse(/* GraphQL */ `
  extend type Product @key(fields: "upc") {
    upc: String! @external
    weight: Int @external
    price: Int @external
    inStock: Boolean
    shippingEstimate: Int @requires(fields: "price weight")
  }
`);

interface InventoryProduct {
  upc: string;
  inStock: boolean | null;
  price: number | null;
  weight: number | null;
}

const stock = (upc: string, inStock: boolean): InventoryProduct => ({ upc, inStock, price: null, weight: null });

export const INVENTORY: readonly InventoryProduct[] = [
  stock('1', true),
  stock('2', false),
  stock('3', false),
  stock('4', false),
  stock('5', true),
  stock('6', true),
  stock('7', true),
  stock('8', false),
  stock('9', true),
];

export const resolvers: GraphQLResolverMap<unknown> = {
  Product: {
    __resolveReference: referenceByKey('inventory', 'Product', INVENTORY, 'upc'),
    // Same arithmetic as the Rust `shipping_estimate`, over the inventory record.
    shippingEstimate: (product: InventoryProduct) => {
      if (product.price !== null) {
        if (product.price > 1000) return 0;
        if (product.weight !== null) return Math.trunc(product.weight / 2);
      }
      return null;
    },
  },
};
