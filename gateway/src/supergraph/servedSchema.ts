import { Supergraph } from '@apollo/federation-internals';
import { type GraphQLSchema, parse } from 'graphql';
import { readRequirements, type Requirements } from '@car-check/service-kit';
import { supergraphForGateway } from '../auth/securityFeatures';
import { withDefer } from '../defer/deferDirective';
import { type CostModel, readCostModel } from '../limits/costModel';

/**
 * What the gateway derives from each supergraph it serves, once per load: the
 * API schema, its costs and its authorization rules.
 */
export interface ServedSchema {
  schema: GraphQLSchema;
  costModel: CostModel;
  requirements: Requirements;
}

/**
 * What clients can query in a supergraph, by the gateway's own rules: the
 * security features it enforces itself (@authenticated, @requiresScopes) are
 * accepted, any other makes it throw, as the gateway refuses to serve it. The
 * gateway, `npm run check` and the web app's codegen all read it here.
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphForGateway(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}

/**
 * The served schema of a supergraph, @defer included. The gateway passes the API schema Apollo
 * Gateway has already built from it; tools and in-process tests let it be built here.
 */
export function servedSchemaOf(
  supergraphSdl: string,
  defaultListSize: number,
  schema: GraphQLSchema = apiSchemaOf(supergraphSdl),
): ServedSchema {
  const supergraph = parse(supergraphSdl);
  // Operations are validated against it: @defer is served (docs/defer.md).
  return {
    schema: withDefer(schema),
    costModel: readCostModel(supergraph, defaultListSize),
    requirements: readRequirements(supergraph),
  };
}
