import { Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { supergraphForGateway } from '../auth/securityFeatures';
import { readCostModel } from '../limits/costModel';
import type { ServedSchema } from '../pipeline/documents';

/**
 * The API schema and cost model of a supergraph, as the gateway derives them
 * when it loads one; for tools and in-process tests that have no gateway.
 */
export function servedSchemaOf(supergraphSdl: string, defaultListSize: number): ServedSchema {
  return {
    schema: Supergraph.build(supergraphForGateway(supergraphSdl)).apiSchema().toGraphQLJSSchema(),
    costModel: readCostModel(parse(supergraphSdl), defaultListSize),
  };
}
