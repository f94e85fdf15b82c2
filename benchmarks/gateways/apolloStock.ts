/**
 * Stock `@apollo/gateway` + `@apollo/server`, set up as the community benchmark
 * sets it up (graphql-hive/graphql-gateways-benchmark @ e583a1f,
 * gateways/apollo-gateway/index.ts), with the versions this repo already uses.
 * Started by benchmarks/gateways/run.ts as its own process:
 *
 *   SUPERGRAPH_PATH=<file> PORT=<port> FORK=2 NODE_ENV=production node --import tsx benchmarks/gateways/apolloStock.ts
 *
 * As in the benchmark, the primary forks FORK - 1 workers (FORK defaults to
 * the number of cores) and does not serve itself unless that is 0. The only
 * differences: the supergraph file comes from SUPERGRAPH_PATH instead of
 * ./supergraph.graphql, and it listens on 127.0.0.1 (HOST) instead of every
 * interface.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const forkCount = (process.env.FORK ? parseInt(process.env.FORK, 10) : availableParallelism()) - 1;

async function serve(): Promise<void> {
  const supergraphSdl = readFileSync(process.env.SUPERGRAPH_PATH ?? './supergraph.graphql').toString();
  const gateway = new ApolloGateway({ supergraphSdl });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: process.env.PORT ? parseInt(process.env.PORT, 10) : 4000, host: process.env.HOST ?? '127.0.0.1' },
  });
  console.log(`stock Apollo Gateway ready at ${url} (pid ${process.pid})`);
}

if (cluster.isPrimary && forkCount > 0) {
  for (let i = 0; i < forkCount; i++) cluster.fork();
  // A worker that dies takes the benchmark with it: the runner sees the port close.
  cluster.on('exit', (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal ?? code})`);
    process.exit(1);
  });
  const stop = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  serve().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
