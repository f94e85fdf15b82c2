import { ApolloProvider } from '@apollo/client/react';
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './apollo';
import { App } from './App';
import { useSessionState } from './session';
import './styles.css';

const client = createClient();

/** When a session ends (sign-out, expiry, revocation), nothing read with it stays in memory. */
function ClearOnSignOut() {
  const { session } = useSessionState();
  useEffect(() => {
    if (!session) void client.clearStore();
  }, [session]);
  return null;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <ClearOnSignOut />
      <App />
    </ApolloProvider>
  </StrictMode>,
);
