/** Build-time configuration (Vite env, see vite-env.d.ts). */
export const GRAPHQL_URL = import.meta.env.VITE_GRAPHQL_URL || 'http://127.0.0.1:4000/graphql';

/** Send operations by persisted document id only (trusted documents), never their text. */
export const PERSISTED_ONLY = import.meta.env.VITE_PERSISTED_ONLY === 'true';
