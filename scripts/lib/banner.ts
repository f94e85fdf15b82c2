/**
 * What `npm start` prints once the graph answers: where to reach it and how to try it.
 * It claims only what this mode serves: the facts below are read from the same
 * configuration the gateway and the subgraphs decide by.
 */

/** What the running graph serves and holds, from its configuration. */
export interface BannerFacts {
  /** Apollo Sandbox on GET /graphql (the gateway's LANDING_PAGE, on by default outside production). */
  sandbox: boolean;
  /** The offline explorer and the console (gateway/src/devPages.ts: outside production, with the landing page). */
  devPages: boolean;
  /** The demo users exist: the user subgraph seeded them (see {@link seedsDemoUsers}). */
  demoUsers: boolean;
  production: boolean;
}

/** The part of a subgraph's configuration that decides whether it seeds its new database. */
export interface SeedingConfig {
  production: boolean;
  seedOnEmpty: boolean;
  database: { kind: string };
}

/**
 * Whether a subgraph's database holds the demo data without anyone running `npm run db:seed`:
 * the condition under which packages/subgraph-kit/src/server/bootSubgraph.ts seeds a new database (embedded,
 * SEED_ON_EMPTY, outside production). On PostgreSQL only `db:seed` loads it, which the banner cannot see.
 */
export function seedsDemoUsers(config: SeedingConfig): boolean {
  return config.database.kind === 'embedded' && config.seedOnEmpty && !config.production;
}

/**
 * The example that signs in and queries, as shell lines. The token is read by a few lines of
 * node that print the token, or else the gateway's error and its code on one line (`Invalid
 * username or password. (UNAUTHENTICATED)`) and exit 1, so the query after `&&` does not run.
 * `password` is placed as it is inside the single-quoted JSON: a literal, or {@link shellVariable}.
 */
function signInExample(gatewayUrl: string, username: string, password: string): string[] {
  const login = `mutation { login(username: \\"${username}\\", password: \\"${password}\\") { token } }`;
  const readToken =
    'let r={};try{r=JSON.parse(require("fs").readFileSync(0,"utf8"))}catch{}const t=r.data?.login?.token;' +
    'if(t){console.log(t)}else{const e=r.errors?.[0];' +
    'console.error(e?e.message+" ("+e.extensions?.code+")":"no GraphQL answer from the gateway");process.exit(1)}';
  const query =
    '{ cars(first: 3) { totalCount edges { node { brand model costCenter { code manager { username } } } } } }';
  return [
    `TOKEN=$(curl -s ${gatewayUrl} -H 'content-type: application/json' \\`,
    `  -d '{"query":"${login}"}' \\`,
    `  | node -e '${readToken}') && \\`,
    `curl -s ${gatewayUrl} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\`,
    `  -d '{"query":"${query}"}'`,
  ];
}

/** A shell variable's value inside the example's single-quoted JSON (it leaves the quotes, and comes back). */
const shellVariable = (name: string) => `'"$${name}"'`;

/** Who to sign in as, and the lines that say where such a user comes from. */
function tryIt(facts: BannerFacts, gatewayUrl: string, seedPasswordSet: boolean): string[] {
  const example = (username: string, password: string) =>
    signInExample(gatewayUrl, username, password).map((line) => `    ${line}`);
  if (facts.production) {
    return [
      '  Production mode: no demo users. The first administrator comes from',
      '  `ADMIN_PASSWORD=... npm run db:bootstrap-admin -- --username NAME --email ADDRESS`; then, as that user',
      '  (ADMIN_PASSWORD exported in this shell):',
      ...example('NAME', shellVariable('ADMIN_PASSWORD')),
    ];
  }
  // A password of the operator's own (SEED_PASSWORD) is not printed: the example reads it from the shell.
  const password = seedPasswordSet ? shellVariable('SEED_PASSWORD') : 'dev-password';
  const passwordText = seedPasswordSet ? 'your SEED_PASSWORD' : 'dev-password (SEED_PASSWORD unset)';
  const users = `demo users admin, manager, viewer; password: ${passwordText}`;
  if (facts.demoUsers) return [`  Try (${users}):`, ...example('admin', password)];
  return [
    '  No demo users are created in a PostgreSQL database: `npm run db:seed` loads them',
    `  (${users}); then:`,
    ...example('admin', password),
  ];
}

export interface BannerInput {
  facts: BannerFacts;
  gatewayBase: string;
  /** How long the start took, and each service's part, already in words. */
  upAfter: string;
  timeToReady: string;
  subgraphs: { name: string; url: string }[];
  /** The explorer and the console are being built now (first start). */
  buildingPages: boolean;
  watching: boolean;
  seedPasswordSet: boolean;
}

/** The banner, every line of it true for the facts given. */
export function renderBanner(input: BannerInput): string {
  const { facts, gatewayBase } = input;
  const gatewayUrl = `${gatewayBase}/graphql`;
  const lines = [
    '',
    `  The car-check graph is up (${input.upAfter} after npm start).`,
    `    Time to ready: ${input.timeToReady}`,
    '    (each subgraph logs its steps as it goes: creating, opening and migrating its database, seeding, serving).',
    '',
    facts.sandbox
      ? `    Gateway (Apollo Sandbox in a browser): ${gatewayUrl}`
      : `    Gateway:                                ${gatewayUrl}`,
  ];
  if (facts.devPages) {
    lines.push(
      `    Explorer that works offline (GraphiQL): ${gatewayBase}/explorer/`,
      `    Fleet console (web app):                ${gatewayBase}/console/` +
        '   (npm run dev:web: the same with hot reload)',
    );
    if (input.buildingPages) {
      lines.push(
        '    (the explorer and the console are being built now: a "web:" line below says when they are ready)',
      );
    }
  }
  lines.push(...input.subgraphs.map((s) => `    ${s.name.padEnd(12)} subgraph: ${s.url}`), '');
  lines.push(...tryIt(facts, gatewayUrl, input.seedPasswordSet), '');
  if (input.watching) {
    lines.push(
      '  Watching: a service restarts when its code changes; a changed schema.graphql restarts its',
      '  subgraph and recomposes supergraph.graphql.',
    );
  }
  lines.push(
    input.watching
      ? '  A service that crashes is restarted; the others keep serving.'
      : '  A process that crashes is restarted: the gateway, or the subgraphs (one process, all together).',
    '  Ctrl-C stops the gateway (finishing requests in flight), then the subgraphs.',
    '',
  );
  return lines.join('\n');
}
