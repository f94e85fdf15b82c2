import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ApolloServerPlugin, LandingPage } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { type Express } from 'express';
import { DEV_PAGES, servesDevPages } from './devPageList';

const NOT_BUILT_RETRY_SECONDS = 2;
type DevPage = (typeof DEV_PAGES)[keyof typeof DEV_PAGES];

/**
 * The page a browser gets while a page is not built: npm start builds both after the graph
 * answers, so a browser opened on the banner's link in those seconds reloads itself onto the
 * page instead of stopping on an error; anyone else reads the command that builds it.
 */
function notBuiltYet(page: DevPage): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta http-equiv="refresh" content="${NOT_BUILT_RETRY_SECONDS}">
    <title>Being built</title>
  </head>
  <body>
    <p>This page is not built yet. <code>npm start</code> builds it on its first start (its output says
    "web: built" when it is ready); otherwise run <code>${page.build}</code>.</p>
    <p>This page reloads itself every ${NOT_BUILT_RETRY_SECONDS} seconds until then.</p>
  </body>
</html>
`;
}

/**
 * Serves the web package's built pages (web/dist/<folder>) under their paths,
 * development only, like the landing page. Until a page is built, its path answers 503 with a
 * page that reloads itself (see notBuiltYet).
 */
export function mountDevPages(app: Express, webDist: string): void {
  for (const page of Object.values(DEV_PAGES)) {
    const folder = path.join(webDist, page.folder);
    app.use(page.path, express.static(folder, { index: 'index.html', maxAge: 0, redirect: true }));
    app.get(page.path, (_req, res) => {
      if (existsSync(path.join(folder, 'index.html'))) return res.redirect(`${page.path}/`);
      res
        .status(503)
        .set({ 'retry-after': String(NOT_BUILT_RETRY_SECONDS), 'cache-control': 'no-store' })
        .type('html')
        .send(notBuiltYet(page));
    });
  }
}

/** Added to the page Apollo shows when Sandbox cannot load from its CDN (offline, or the CDN blocked). */
const EXPLORER_URL = `${DEV_PAGES.explorer.path}/`;
const OFFLINE_EXPLORER_NOTE = `<p>The explorer bundled here works offline: <a href="${EXPLORER_URL}">${EXPLORER_URL}</a></p>`;

/** The landing page's HTML with the note at the end of its offline fallback (`<div class="fallback">`). */
function withOfflineExplorerNote(html: string): string {
  const fallback = html.indexOf('class="fallback"');
  const end = fallback === -1 ? -1 : html.indexOf('</div>', fallback);
  return end === -1 ? html : `${html.slice(0, end)}  ${OFFLINE_EXPLORER_NOTE}\n${html.slice(end)}`;
}

async function landingPageWithNote(page: LandingPage): Promise<LandingPage> {
  const { html } = page;
  if (typeof html === 'string') return { html: withOfflineExplorerNote(html) };
  return { html: async () => withOfflineExplorerNote(await html()) };
}

/**
 * Apollo Sandbox on GET /graphql (loaded from Apollo's CDN). Where the offline explorer is
 * served too, the page Sandbox leaves when it cannot load points to it.
 */
export function sandboxLandingPage(config: { production: boolean; landingPage: boolean }): ApolloServerPlugin {
  const sandbox = ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false });
  if (!servesDevPages(config)) return sandbox;
  return {
    ...sandbox,
    async serverWillStart(service) {
      const listener = await sandbox.serverWillStart?.(service);
      const render = listener?.renderLandingPage;
      if (!listener || !render) return listener;
      return { ...listener, renderLandingPage: async () => landingPageWithNote(await render.call(listener)) };
    },
  };
}
