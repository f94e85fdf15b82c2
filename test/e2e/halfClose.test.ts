import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';

const backend = ONE_BACKEND;

/** Sends `request` on a raw socket, half-closes it (FIN after the body), and reads until the server closes. */
function sendThenHalfClose(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.end(request);
  });
}

describe(`a client that half-closes its connection after its request (${backend})`, () => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('gets its answer, and the write it sent commits once', async () => {
    const token = await graph.login('admin');
    const model = `HalfClose-${randomUUID().slice(0, 8)}`;
    const body = JSON.stringify({
      query: 'mutation($input: CreateCarInput!) { createCar(input: $input) { id model } }',
      variables: { input: { brand: 'HalfClose', model, costCenterId: seedCostCenters[0]!.id } },
    });
    const { host } = new URL(graph.gatewayUrl);
    const raw = await sendThenHalfClose(
      graph.gatewayUrl,
      `POST /graphql HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\nauthorization: Bearer ${token}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // A slow answer may be preceded by interim `102 Processing` answers (how the server checks the client is still there).
    const final = raw.replace(/^(HTTP\/1\.1 1\d\d [^\r]*\r\n\r\n)*/, '');
    expect(final).toMatch(/^HTTP\/1\.1 200 /);
    const answer = JSON.parse(final.slice(final.indexOf('\r\n\r\n') + 4)) as {
      data: { createCar: { id: string; model: string } };
    };
    expect(answer.data.createCar.model).toBe(model);
    const rows = await (graph.subgraphs.car.prisma as CarPrisma).car.findMany({ where: { model } });
    expect(rows.map((row) => row.id)).toEqual([answer.data.createCar.id]);
  });
});
