import { admission } from './stages/admission';
import { authenticate } from './stages/authenticate';
import { consistency } from './stages/consistency';
import { deadline } from './stages/deadline';
import { defer } from './stages/defer';
import { documents } from './stages/documents';
import { execute } from './stages/execute';
import { idempotencyKey } from './stages/idempotencyKey';
import { inflight } from './stages/inflight';
import { intake } from './stages/intake';
import { landingPage } from './stages/landingPage';
import { operationText } from './stages/operationText';
import { subscribe } from './stages/subscribe';
import { StageList } from './stage';

/**
 * The gateway's request path, the same for every transport (POST, GET,
 * persisted queries), in order. Each stage either hands the next one the
 * request or answers; a Refusal thrown by any stage is the answer. Nothing
 * expensive runs before the rate limit has counted the request, and nothing
 * is validated or planned before it has been measured. Adding a stage is one
 * file in stages/ and one line here (docs/gateway-seams.md); its variables
 * join the gateway's configuration by themselves.
 */
export const STAGES = StageList.empty()
  .add(admission) // one point from the client's budget, before anything is read
  .add(landingPage) // Apollo Sandbox for a browser's GET
  .add(intake) // the HTTP request read as GraphQL, and the media type to answer in
  .add(authenticate) // the caller, from the bearer token
  .add(idempotencyKey) // the client's Idempotency-Key, for mutations
  .add(operationText) // the text: sent, trusted document or persisted query
  .add(documents) // parse, select, measure, validate
  .add(subscribe) // a subscription leaves here as a stream (no deadline, never shared)
  .add(deadline) // the request's deadline and abort signal, in its context
  .add(consistency) // the client's consistency token in, the token of its writes out (entity cache)
  .add(defer) // a query with @defer leaves here as a stream of parts, for a client that accepts them (never shared)
  .add(inflight) // identical queries in flight share one execution
  .add(execute); // Apollo: authorize, plan, execute

/** The configuration of every stage (part of GatewayConfig). */
export type StageConfig = ReturnType<typeof STAGES.readConfig>;
