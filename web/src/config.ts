/** Build-time configuration (Vite env, see vite-env.d.ts). */
// Same origin by default: the gateway serves the built console at /console, and Vite's dev
// and preview servers proxy /graphql to the gateway (vite.config.ts).
export const GRAPHQL_URL = import.meta.env.VITE_GRAPHQL_URL || '/graphql';

/** Send operations by persisted document id only (trusted documents), never their text. */
export const PERSISTED_ONLY = import.meta.env.VITE_PERSISTED_ONLY === 'true';
