/**
 * `reviews` subgraph of the community federation benchmark
 * (graphql-hive/graphql-gateways-benchmark, subgraphs/reviews.rs).
 *
 * Faithful quirks of the Rust original:
 * - `Review.author` is always user "1" (username "urigo", provided via
 *   `@provides(fields: "username")`) whose `reviews` are reviews 1 and 2;
 * - the `User` entity resolver returns reviews 1 and 2 for every user id;
 * - `Product.reviews` are the reviews whose product has that upc.
 */
import { parse } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { referenceByKey } from './reference';

export const typeDefs = parse(/* GraphQL */ `
  extend type Product @key(fields: "upc") {
    upc: String! @external
    reviews: [Review]
  }

  type Review @key(fields: "id") {
    id: ID!
    body: String
    product: Product
    author: User @provides(fields: "username")
  }

  extend type User @key(fields: "id") {
    id: ID! @external
    username: String @external
    reviews: [Review]
  }
`);

interface Review {
  id: string;
  body: string | null;
  product: { upc: string } | null;
}

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const SED_UT =
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugi';
const SED_QUIA =
  'sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.';
const UT_ENIM =
  'Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem';
const AT_VERO =
  'At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus. Temporibus autem quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae sint et molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus maiores alias consequatur aut perferendis doloribus asperiores repellat.';

const review = (id: string, body: string, upc: string): Review => ({ id, body, product: { upc } });

export const REVIEWS: readonly Review[] = [
  review('1', LOREM, '1'),
  review('2', SED_UT, '1'),
  review('3', SED_QUIA, '1'),
  review('4', UT_ENIM, '1'),
  review('5', LOREM, '2'),
  review('6', SED_UT, '2'),
  review('7', SED_QUIA, '2'),
  review('8', UT_ENIM, '2'),
  review('9', UT_ENIM, '3'),
  review('10', UT_ENIM, '4'),
  review('11', AT_VERO, '4'),
];

/** `REVIEWS[0..2]` in the Rust source. */
const FIRST_TWO = REVIEWS.slice(0, 2);

export const resolvers: GraphQLResolverMap<unknown> = {
  Review: {
    __resolveReference: referenceByKey('reviews', 'Review', REVIEWS, 'id'),
    author: () => ({ id: '1', username: 'urigo', reviews: FIRST_TWO }),
  },
  User: {
    // `username` is @external here; the Rust resolver fills in "user", which no planner asks for.
    __resolveReference: ({ id }: { id: string }) => ({ id, username: 'user', reviews: FIRST_TWO }),
  },
  Product: {
    __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
    reviews: ({ upc }: { upc: string }) => REVIEWS.filter((r) => r.product !== null && r.product.upc === upc),
  },
};
