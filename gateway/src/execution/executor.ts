import type { ApolloGateway } from '@apollo/gateway';
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { CallerIdentity } from '@car-check/service-kit';
import type { GatewayContext } from '../context';
import type { ServedSchema } from '../supergraph/servedSchema';

/**
 * The gateway as Apollo Server sees it, and its executor, in Apollo Server's
 * own types (its @apollo/server-gateway-interface), so that wrapping Apollo
 * Gateway needs no cast.
 */
type ServerGateway = ApolloServerOptionsWithGateway<GatewayContext>['gateway'];
export type Executor = NonNullable<Awaited<ReturnType<ServerGateway['load']>>['executor']>;
export type ExecutionRequest = Parameters<Executor>[0];

/** An admitted operation, and who asks for it: what a layer needs to say whether it would act on it. */
export interface LayeredOperation {
  document: DocumentNode;
  operationName: string | undefined;
  operation: OperationDefinitionNode;
  caller: CallerIdentity;
}

/**
 * One behaviour around the executor (planning and executing a query plan):
 * authorization today; the place for @defer, subscriptions and merged fetches.
 */
export interface ExecutorLayer {
  readonly name: string;
  wrap(next: Executor, served: () => ServedSchema): Executor;
  /**
   * Whether this layer would pass `operation` on unchanged and leave its result as it is:
   * then the gateway may answer it with its own plan executor instead of this one
   * (pipeline/planAnswers.ts). A layer that does not say is never skipped, so a new
   * layer turns that off until it says when it can be.
   */
  passesUnchanged?(operation: LayeredOperation, served: ServedSchema): boolean;
}

/**
 * Apollo Gateway with the executor layers around its executor, the first of
 * the list outermost. Refuses to serve before a supergraph (and so its
 * authorization rules) has loaded.
 */
export function layeredGateway(
  gateway: ApolloGateway,
  layers: readonly ExecutorLayer[],
  served: () => ServedSchema | undefined,
): ServerGateway {
  const loaded = (): ServedSchema => {
    const current = served();
    if (!current)
      throw new Error('The gateway loaded no supergraph; refusing to serve without its authorization rules.');
    return current;
  };
  return {
    async load(options) {
      const apollo = await gateway.load(options);
      loaded();
      const executor = layers.reduceRight<Executor>(
        (next, layer) => layer.wrap(next, loaded),
        (request) => apollo.executor(request),
      );
      return { executor };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}
