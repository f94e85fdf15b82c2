import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { REQUEST_ID_HEADER } from '../../common/server/requestId';
import type { GatewayContext } from './context';

/**
 * How the gateway calls a subgraph: the request id travels with every call so
 * one client request can be followed through every service's logs.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if ('requestId' in context && typeof context.requestId === 'string') {
      request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
    }
  }
}
