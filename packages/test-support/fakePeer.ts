import express from 'express';
import { listen, type RunningServer } from '@car-check/service-kit';
import { type CloudEvent, developmentEventKey, EventSigner } from '@car-check/events';
import { TEST_SIGNING_SECRET } from './secrets';

type Representation = { __typename: string; id: string };

/**
 * A stand-in for another subgraph, answering only the `_entities` calls a
 * subgraph makes to its peers, and its event feed (`GET /events`, from
 * `events`, each signed as the peer signs its own: with its development key
 * derived from the tests' signing secret). Lets one subgraph be tested alone,
 * with the peer's answers under the test's control.
 */
export class FakePeer {
  /** Entities the fake knows, by `Typename:id`; the value is what `_entities` returns for it. */
  readonly entities = new Map<string, Record<string, unknown>>();
  calls = 0;
  /** The feed `GET /events` serves (in sequence order, as the test pushes them). */
  readonly events: CloudEvent[] = [];
  /**
   * Feed requests received, with their target and headers (to check how they were signed). The fake
   * answers at once, as a feed that does not hold reads (`wait`) would.
   */
  readonly feedRequests: {
    after: string;
    limit: string;
    target: string;
    headers: Record<string, string | string[] | undefined>;
  }[] = [];
  /** While set, the feed answers 503 (the owner is down). */
  feedDown = false;
  /** Ids of events served exactly as pushed, unsigned or signed by the test (forgeries). */
  readonly servedAsPushed = new Set<string>();
  private server?: RunningServer;
  private readonly signer: EventSigner;

  /** `name`: the subgraph it stands for, whose key signs its feed. */
  constructor(readonly name: string) {
    this.signer = new EventSigner(name, developmentEventKey(TEST_SIGNING_SECRET, name));
  }

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
          errors.push({
            message: 'not found',
            path: ['_entities', index],
            extensions: { code: 'NOT_FOUND', grpcStatus: 5 },
          });
        }
        return entity ?? null;
      });
      res.json({ data: { _entities: found }, ...(errors.length ? { errors } : {}) });
    });
    app.get('/events', (req, res) => {
      const after = String(req.query.after ?? '0');
      const limit = String(req.query.limit ?? '100');
      this.feedRequests.push({ after, limit, target: req.originalUrl, headers: req.headers });
      if (this.feedDown) {
        res.status(503).json({ errors: [{ message: 'down', extensions: { code: 'UNAVAILABLE' } }] });
        return;
      }
      const page = this.events.filter((event) => BigInt(event.sequence) > BigInt(after)).slice(0, Number(limit));
      const served = page.map((event) => (this.servedAsPushed.has(event.id) ? event : this.signer.sign(event)));
      res.json({ events: served, next: page.length ? Number(page.at(-1)!.sequence) : Number(after) });
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
