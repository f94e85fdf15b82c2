import express from 'express';
import { listen, type RunningServer } from '@car-check/common';

type Representation = { __typename: string; id: string };

/**
 * A stand-in for another subgraph, answering only the `_entities` calls a
 * subgraph makes to its peers. Lets one subgraph be tested alone, with the
 * peer's answers under the test's control.
 */
export class FakePeer {
  /** Entities the fake knows, by `Typename:id`; the value is what `_entities` returns for it. */
  readonly entities = new Map<string, Record<string, unknown>>();
  calls = 0;
  private server?: RunningServer;

  set(typename: string, id: string, fields: Record<string, unknown> = {}): this {
    this.entities.set(`${typename}:${id}`, { __typename: typename, id, ...fields });
    return this;
  }

  async start(): Promise<string> {
    const app = express();
    app.use(express.json());
    app.post('/graphql', (req, res) => {
      this.calls += 1;
      const representations = (req.body?.variables?.representations ?? []) as Representation[];
      const errors: unknown[] = [];
      const found = representations.map((rep, index) => {
        const entity = this.entities.get(`${rep.__typename}:${rep.id}`);
        if (!entity) {
          errors.push({ message: 'not found', path: ['_entities', index], extensions: { code: 'NOT_FOUND', grpcStatus: 5 } });
        }
        return entity ?? null;
      });
      res.json({ data: { _entities: found }, ...(errors.length ? { errors } : {}) });
    });
    this.server = await listen(app, '127.0.0.1', 0);
    return `${this.server.url}/graphql`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }
}
