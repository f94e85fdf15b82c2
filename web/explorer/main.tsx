/**
 * The offline API explorer: GraphiQL from npm, bundled with its editor workers,
 * fonts and styles, so it needs nothing but the gateway it is served by. It sends
 * operations to the same origin's /graphql (the gateway serves it at /explorer).
 * Paste `{"Authorization": "Bearer <token>"}` in the Headers tab; headers are not
 * persisted (a token stays in this tab only).
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const fetcher = createGraphiQLFetcher({ url: new URL('/graphql', window.location.origin).toString() });

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
