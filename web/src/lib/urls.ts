/**
 * The console's addresses, made absolute against the page's own (document.baseURI):
 * the gateway's endpoint is `/graphql` on the origin that served the console unless
 * the build names another, and a relative URL is no base for `new URL` (a blank page
 * in the browser: "Invalid base URL").
 */
export interface ConsoleUrls {
  /** The gateway's GraphQL endpoint. */
  graphql: string;
  /** The offline explorer, served by the same gateway at /explorer/. */
  explorer: string;
}

export function consoleUrls(configured: string | undefined, pageBase: string): ConsoleUrls {
  const graphql = new URL(configured || '/graphql', pageBase);
  return { graphql: graphql.toString(), explorer: new URL('/explorer/', graphql).toString() };
}
