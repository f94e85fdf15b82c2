/**
 * The offline API explorer: GraphiQL from npm, bundled with its editor workers,
 * fonts and styles, so it needs nothing but the gateway it is served by. It sends
 * operations to the same origin's /graphql (the gateway serves it at /explorer).
 * Paste `{"Authorization": "Bearer <token>"}` in the Headers tab; headers are not
 * persisted (a token stays in this tab only). Subscriptions run over WebSocket
 * (graphql-ws, the gateway's `graphql-transport-ws` on the same /graphql).
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const endpoint = new URL('/graphql', window.location.origin);
const socketEndpoint = new URL(endpoint);
socketEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

const toolkitFetcher = createGraphiQLFetcher({ url: endpoint.toString(), subscriptionUrl: socketEndpoint.toString() });

/**
 * The headers editor's headers, names lower-cased: over WebSocket they become `connection_init`'s
 * payload, where the gateway reads `authorization` (HTTP header names are case-insensitive anyway).
 */
const fetcher: Fetcher = (params, options) =>
  toolkitFetcher(params, {
    ...options,
    headers: Object.fromEntries(
      Object.entries(options?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value] as const),
    ),
  });

const DEFAULT_QUERY = `# Fleet graph explorer (offline GraphiQL).
#
# Most fields need a signed-in caller:
# 1. Run SignIn (demo users outside
#    production: admin, manager, viewer;
#    password dev-password), copy "token".
# 2. In Headers below, paste
#    {"Authorization": "Bearer <token>"}
# 3. Run CarsWithCostCenters, or browse
#    the schema with the Docs button.
# 4. Run WatchCars and edit a car (in the
#    console, or with a mutation in another
#    tab): each change appears live, with
#    its cursor. To resume after a change,
#    pass its cursor as after: "<cursor>".
# Errors carry extensions.code and
# extensions.requestId.

mutation SignIn {
  login(username: "admin", password: "dev-password") {
    token
    user { username groups }
  }
}

query CarsWithCostCenters {
  cars(first: 5, orderBy: { field: BRAND, direction: ASC }) {
    totalCount
    edges {
      node {
        brand model version
        costCenter { code manager { username email } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}

subscription WatchCars {
  carChanged {
    kind revision changedFields cursor
    car {
      brand model version
      costCenter { code manager { username } }
    }
  }
}
`;

createRoot(document.getElementById('explorer')!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={DEFAULT_QUERY}
      defaultHeaders={'{}'}
      isHeadersEditorEnabled
      shouldPersistHeaders={false}
      defaultEditorToolsVisibility="headers"
    />
  </StrictMode>,
);
