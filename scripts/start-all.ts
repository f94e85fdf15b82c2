/**
 * `npm start`: runs the whole graph (three subgraphs, then the gateway) as four
 * processes, prints where to reach it, and stops all four on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadGatewayConfig, SUBGRAPH_URL_VARIABLES } from '../gateway/src/config';
import { loadConfig as carConfig } from '../subgraphs/car/src/config';
import { loadConfig as costCenterConfig } from '../subgraphs/cost-center/src/config';
import { loadConfig as userConfig } from '../subgraphs/user/src/config';
import { waitForHealthy } from './lib/waitForHealthy';

const ROOT = path.resolve(__dirname, '..');
const STARTUP_TIMEOUT_MS = 90_000;

// Readable logs by default when a person runs the graph; LOG_PRETTY=false for JSON.
const env: NodeJS.ProcessEnv = { ...process.env, LOG_PRETTY: process.env.LOG_PRETTY ?? 'true' };

const subgraphs = [
  { name: 'car', entry: 'subgraphs/car/src/index.ts', config: carConfig(env) },
  { name: 'cost-center', entry: 'subgraphs/cost-center/src/index.ts', config: costCenterConfig(env) },
  { name: 'user', entry: 'subgraphs/user/src/index.ts', config: userConfig(env) },
] as const;
const gatewayConfig = loadGatewayConfig(env);

const children: ChildProcess[] = [];
let stopping = false;

function start(name: string, entry: string, childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: childEnv,
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? `code ${code}`}); stopping the graph.`);
    void stopAll(1);
  });
  children.push(child);
  return child;
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(exitCode);
}

const baseUrl = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  // The gateway and the subgraphs (which call each other) all learn where each subgraph listens.
  const graphEnv: NodeJS.ProcessEnv = { ...env };
  for (const subgraph of subgraphs) {
    graphEnv[SUBGRAPH_URL_VARIABLES[subgraph.name]] ??= `${baseUrl(subgraph.config.host, subgraph.config.port)}/graphql`;
  }
  for (const subgraph of subgraphs) start(subgraph.name, subgraph.entry, graphEnv);
  await Promise.all(
    subgraphs.map((s) => waitForHealthy(`${baseUrl(s.config.host, s.config.port)}/health`, STARTUP_TIMEOUT_MS)),
  );
  start('gateway', 'gateway/src/index.ts', graphEnv);
  const gatewayUrl = `${baseUrl(gatewayConfig.host, gatewayConfig.port)}/graphql`;
  await waitForHealthy(`${baseUrl(gatewayConfig.host, gatewayConfig.port)}/health`, STARTUP_TIMEOUT_MS);

  console.log(`
  The car-check graph is up.

    Gateway (Apollo Sandbox in a browser): ${gatewayUrl}
${subgraphs.map((s) => `    ${s.name.padEnd(12)} subgraph: ${baseUrl(s.config.host, s.config.port)}/graphql`).join('\n')}

  Try (demo users admin, manager, viewer; password: SEED_PASSWORD, default dev-password):
    TOKEN=$(curl -s ${gatewayUrl} -H 'content-type: application/json' \\
      -d '{"query":"mutation { login(username: \\"admin\\", password: \\"dev-password\\") { token } }"}' \\
      | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.login.token')
    curl -s ${gatewayUrl} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
      -d '{"query":"{ cars(first: 3) { totalCount edges { node { brand model costCenter { code manager { username } } } } } }"}'

  Ctrl-C stops all four services.
`);
}

main().catch((error: unknown) => {
  console.error(`Could not start the graph: ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
});
