/**
 * What one more process on the way costs on this machine, whatever runs in it: a
 * do-nothing proxy (node:http in, undici out: what any Node gateway does at least) in
 * front of an origin that answers at once, each its own process, measured at 1
 * connection with the same load driver as the graph, direct and through the proxy,
 * interleaved. The gateway's `car(id)` overhead over the direct call includes this
 * floor; on machines where waking another process is costly (a nested virtual
 * machine: each write to a socket that another process waits on), it is most of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { quantiles } from '../lib/stats';
import { runLoad } from './load';

const SERVER = path.join(__dirname, 'hopFloorServer.cjs');

export interface HopFloor {
  directP50Ms: number;
  proxiedP50Ms: number;
  /** proxied − direct: one more process hop, with nothing done in it. */
  hopP50Ms: number;
}

function startServer(args: string[], children: ChildProcess[]): Promise<number> {
  const child = spawn(process.execPath, [SERVER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the hop floor's ${args[0]} exited (code ${code})`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
}

export async function measureHopFloor(options: {
  seconds: number;
  rounds: number;
  signal: AbortSignal;
}): Promise<HopFloor> {
  const children: ChildProcess[] = [];
  try {
    const origin = await startServer(['origin'], children);
    const proxy = await startServer(['proxy', `http://127.0.0.1:${origin}/`], children);
    const load = async (port: number, ms: number) =>
      (
        await runLoad({
          url: `http://127.0.0.1:${port}/`,
          connections: 1,
          durationMs: ms,
          request: () => ({ headers: { 'content-type': 'application/json' }, body: '{"query":"{ car }"}' }),
          check: (status) => (status === 200 ? null : `HTTP ${status}`),
          signal: options.signal,
        })
      ).latencyMs.p50;
    await load(origin, 1_000);
    await load(proxy, 1_000);
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      direct.push(await load(origin, options.seconds * 1000));
      proxied.push(await load(proxy, options.seconds * 1000));
    }
    const directP50Ms = quantiles(direct).p50;
    const proxiedP50Ms = quantiles(proxied).p50;
    return { directP50Ms, proxiedP50Ms, hopP50Ms: proxiedP50Ms - directP50Ms };
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}
