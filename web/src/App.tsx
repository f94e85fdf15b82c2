import { useMutation } from '@apollo/client/react';
import { SignOutDocument } from './__generated__/graphql';
import { EXPLORER_URL, GRAPHQL_URL, PERSISTED_ONLY } from './config';
import { CarListPage } from './pages/CarListPage';
import { CarPage } from './pages/CarPage';
import { CostCenterListPage } from './pages/CostCenterListPage';
import { CostCenterPage } from './pages/CostCenterPage';
import { NewCarPage } from './pages/NewCarPage';
import { SignInPage } from './pages/SignInPage';
import { Link, useRoute } from './router';
import { endSession, useSessionState } from './session';

export function App() {
  const { session, endedBecause } = useSessionState();
  const route = useRoute();
  const [signOut] = useMutation(SignOutDocument, { errorPolicy: 'all' });

  if (!session) return <SignInPage endedBecause={endedBecause} />;

  async function leave() {
    // Revoke the token at the user service; sign out locally whatever the answer (main.tsx clears the cache).
    await signOut().catch(() => undefined);
    endSession();
  }

  const [section, id] = route.segments;
  let page;
  if (section === 'cars' && id === 'new') page = <NewCarPage />;
  else if (section === 'cars' && id) page = <CarPage key={id} id={id} route={route} />;
  else if (section === 'cost-centers' && id) page = <CostCenterPage key={id} code={id} />;
  else if (section === 'cost-centers') page = <CostCenterListPage />;
  else page = <CarListPage route={route} />;

  return (
    <div className="app">
      <nav className="top">
        <span className="brand">Fleet console</span>
        <Link to="/cars" className={section === 'cars' || !section ? 'active' : ''}>
          Cars
        </Link>
        <Link to="/cost-centers" className={section === 'cost-centers' ? 'active' : ''}>
          Cost centers
        </Link>
        <a href={EXPLORER_URL} target="_blank" rel="noreferrer">
          API explorer
        </a>
        <span className="spacer" />
        <span className="who" data-testid="signed-in-as">
          <span data-testid="username">{session.user.username}</span> <small>({session.user.groups.join(', ')})</small>
        </span>
        <button type="button" className="secondary" onClick={leave}>
          Sign out
        </button>
      </nav>
      <main>{page}</main>
      <footer>
        Gateway {GRAPHQL_URL} · operations sent {PERSISTED_ONLY ? 'by persisted document id only' : 'as text'}
      </footer>
    </div>
  );
}
