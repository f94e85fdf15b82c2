import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/** Pages the gateway serves beside /graphql outside production, built by the web package. */
export const DEV_PAGES = {
  /** GraphiQL bundled from npm: exploring the graph with no network at all (Sandbox loads from Apollo's CDN). */
  explorer: { path: '/explorer', folder: 'explorer', build: 'npm run build:explorer -w web' },
  /** The fleet console (web/), talking to this gateway's /graphql on the same origin. */
  console: { path: '/console', folder: 'console', build: 'npm run build:console -w web' },
} as const;

/**
 * Whether the gateway serves the pages above: never in production, even with LANDING_PAGE=true
 * (these are development pages), and only with the landing page they go with.
 */
export function servesDevPages(config: { production: boolean; landingPage: boolean }): boolean {
  return !config.production && config.landingPage;
}

/**
 * Serves the web package's built pages (web/dist/<folder>) under their paths,
 * development only, like the landing page. Until a page is built, its path
 * answers 404 with the command that builds it (npm start builds both on first start).
 */
export function mountDevPages(app: Express, webDist: string): void {
  for (const page of Object.values(DEV_PAGES)) {
    const folder = path.join(webDist, page.folder);
    app.use(page.path, express.static(folder, { index: 'index.html', maxAge: 0, redirect: true }));
    app.get(page.path, (_req, res) => {
      if (existsSync(path.join(folder, 'index.html'))) return res.redirect(`${page.path}/`);
      res.status(404).type('text/plain').send(`Not built yet: run \`${page.build}\` (npm start builds it on first start), then reload.\n`);
    });
  }
}
