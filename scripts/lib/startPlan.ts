import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * What `npm start` must know before it starts anything: every service's address and grace
 * period, and the few facts its banner states. scripts/start-plan.ts works it out in a
 * short-lived child process, checking every service's configuration (a mistake is one line,
 * exit 78), that no two share a port, that every port is free and every PostgreSQL server
 * answers. The supervisor then never loads the gateway's configuration, the subgraphs'
 * definitions or the subgraph kit, which it would otherwise hold for as long as the graph
 * runs (~75 MB: docs/performance.md, "Memory of the graph at rest").
 */
export interface StartPlan {
  gateway: {
    host: string;
    port: number;
    shutdownGraceMs: number;
    production: boolean;
    /** Apollo Sandbox on /graphql (LANDING_PAGE). */
    landingPage: boolean;
    /** The console and the explorer beside it (servesDevPages). */
    devPages: boolean;
    supergraphPath: string;
  };
  /** In supergraph.yaml's order. */
  subgraphs: {
    name: string;
    host: string;
    port: number;
    shutdownGraceMs: number;
    /** Its package's folder and the files `npm run dev` runs and watches. */
    packageDir: string;
    entry: string;
    schemaSourceFile: string;
    definitionFile: string;
    /** Whether it seeds the demo users (the banner's example signs in as one). */
    demoUsers: boolean;
  }[];
}

/** The plan could not be made; the child has said why (one line), and this is its exit code. */
export class StartPlanFailed extends Error {
  constructor(readonly exitCode: number) {
    super(`the start plan failed with exit code ${exitCode}`);
  }
}

/** Runs scripts/start-plan.ts with `env` and reads its plan; what it prints on stderr reaches the terminal. */
export function readStartPlan(root: string, env: NodeJS.ProcessEnv): Promise<StartPlan> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'start-plan.ts')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) return reject(new StartPlanFailed(code ?? (signal ? 1 : 0)));
      try {
        resolve(JSON.parse(output) as StartPlan);
      } catch {
        reject(new Error(`the start plan printed no plan: ${output.slice(0, 200)}`));
      }
    });
  });
}
