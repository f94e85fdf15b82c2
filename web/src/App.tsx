import { useMutation } from '@apollo/client/react';
import { SignOutDocument } from './__generated__/graphql';
import { EXPLORER_URL, GRAPHQL_URL, PERSISTED_ONLY } from './config';
import { CarListPage } from './pages/CarListPage';
import { CarPage } from './pages/CarPage';
import { CostCenterListPage } from './pages/CostCenterListPage';
import { CostCenterPage } from './pages/CostCenterPage';
import { NewCarPage } from './pages/NewCarPage';
import { ReportsPage, useReportAccess } from './pages/ReportsPage';
import { SignInPage } from './pages/SignInPage';
import { WebhookEndpointPage } from './pages/WebhookEndpointPage';
import { useWebhookAccess, WebhooksPage } from './pages/WebhooksPage';
import { Link, useRoute } from './router';
import { endSession, useSessionState } from './session';

export function App() {
  const { session, endedBecause } = useSessionState();
  const [signOut] = useMutation(SignOutDocument, { errorPolicy: 'all' });

  if (!session) return <SignInPage endedBecause={endedBecause} />;
  return <SignedIn username={session.user.username} groups={session.user.groups} signOut={signOut} />;
}

function SignedIn({
  username,
  groups,
  signOut,
}: {
  username: string;
  groups: string[];
  signOut: () => Promise<unknown>;
}) {
  const route = useRoute();
  // The Webhooks entry is shown to callers the graph lets read webhooks (asked once per session).
  const webhooks = useWebhookAccess();
  // The Reports entry likewise, for callers with report:read; the page offers only the dimensions they may read.
  const reports = useReportAccess();

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
  else if (section === 'webhooks' && id) page = <WebhookEndpointPage key={id} id={id} />;
  else if (section === 'webhooks') page = <WebhooksPage />;
  else if (section === 'reports') page = <ReportsPage route={route} access={reports} />;
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
        {reports.page === 'allowed' ? (
          <Link to="/reports" className={section === 'reports' ? 'active' : ''} data-testid="nav-reports">
            Reports
          </Link>
        ) : null}
        {webhooks === 'allowed' ? (
          <Link to="/webhooks" className={section === 'webhooks' ? 'active' : ''} data-testid="nav-webhooks">
            Webhooks
          </Link>
        ) : null}
        <a href={EXPLORER_URL} target="_blank" rel="noreferrer">
          API explorer
        </a>
        <span className="spacer" />
        <span className="who" data-testid="signed-in-as">
          <span data-testid="username">{username}</span> <small>({groups.join(', ')})</small>
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
