import {
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLNonNull,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';

/** `@defer(if: Boolean! = true, label: String)` as the incremental delivery proposal (deferSpec=20220824) defines it. */
const DEFER = new GraphQLDirective({
  name: 'defer',
  description: 'Delivers the fragment after the rest of the answer, to a client that accepts deferSpec=20220824.',
  locations: [DirectiveLocation.FRAGMENT_SPREAD, DirectiveLocation.INLINE_FRAGMENT],
  args: {
    if: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: true },
    label: { type: GraphQLString },
  },
});

/**
 * The API schema with @defer, for validating operations: Apollo's planner
 * knows @defer (it plans it, or inlines it for a one-JSON answer), but the
 * graphql-js API schema Apollo Gateway builds leaves it out, which would
 * refuse every operation that uses it as an unknown directive.
 */
export function withDefer(schema: GraphQLSchema): GraphQLSchema {
  if (schema.getDirective('defer')) return schema;
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, directives: [...config.directives, DEFER] });
}
