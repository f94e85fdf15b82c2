import { consoleUrls } from './lib/urls';

/** Build-time configuration (Vite env, see vite-env.d.ts). */
// Same origin by default: the gateway serves the built console at /console, and Vite's dev
// and preview servers proxy /graphql to the gateway (vite.config.ts). Absolute from here on.
const urls = consoleUrls(import.meta.env.VITE_GRAPHQL_URL, document.baseURI);

/** The gateway's GraphQL endpoint, absolute. */
export const GRAPHQL_URL = urls.graphql;

/** The offline explorer beside it (the gateway serves it at /explorer/). */
export const EXPLORER_URL = urls.explorer;

/** Send operations by persisted document id only (trusted documents), never their text. */
export const PERSISTED_ONLY = import.meta.env.VITE_PERSISTED_ONLY === 'true';
