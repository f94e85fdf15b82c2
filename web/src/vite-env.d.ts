/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The gateway's GraphQL endpoint; default /graphql on the same origin (proxied to the gateway by the dev server). */
  readonly VITE_GRAPHQL_URL?: string;
  /** `true`: send operations by persisted document id only, never their text. */
  readonly VITE_PERSISTED_ONLY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
