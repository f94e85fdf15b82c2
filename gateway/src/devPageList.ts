/*
 * Which development pages the gateway serves, and when: no dependencies, so that `npm start`'s
 * supervisor (which builds the pages) need not load the gateway (devPages.ts serves them).
 */

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
