/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The gateway's GraphQL endpoint; default http://127.0.0.1:4000/graphql. */
  readonly VITE_GRAPHQL_URL?: string;
  /** `true`: send operations by persisted document id only, never their text. */
  readonly VITE_PERSISTED_ONLY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
