import { type Context as TraceContext, context as traceContext } from '@opentelemetry/api';
import type { GatewayContext } from '../../context';
import type { Send, Sent, SubgraphFetch } from '../fetch';
import { MergedOperations } from './mergedOperation';
import { splitAnswer } from './splitAnswer';

/** One query fetch to the subgraph, as Apollo's executor asks for it. */
export interface MemberFetch {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

export interface EntityBatchOptions {
  /** Largest merged request body, in bytes (the subgraphs' BODY_LIMIT must allow it): beyond it, another call. */
  maxBodyBytes: number;
  /** Bound of the merged operations' cache (entries, and characters of operation text). */
  cacheEntries?: number;
  cacheBytes?: number;
}

/** At most this many fetches in one call: a plan stage rarely has more for one subgraph. */
const MAX_MEMBERS = 16;
const DEFAULT_CACHE_ENTRIES = 1_000;
const DEFAULT_CACHE_BYTES = 4 * 1024 * 1024;

interface Member {
  fetch: MemberFetch;
  /** Each variable's JSON, in the variables' order. */
  json: [string, string][];
  bytes: number;
  /** The span that was active when Apollo asked (its `gateway.fetch`): the call's span continues it. */
  trace: TraceContext;
  resolve(sent: Sent): void;
}

/**
 * Merges one request's `_entities` fetches to this subgraph that Apollo's executor
 * starts together (one plan stage: a Parallel node's fetches are all started in the
 * same turn of the event loop) into one call: Hive Router's BatchFetch, behind
 * Apollo's executor. Fetches wait for the end of the current turn (`setImmediate`),
 * then go out: alone exactly as they would have, or several as one merged operation
 * (mergedOperation.ts) whose answer is split back (splitAnswer.ts).
 *
 * Fetches of different requests are never merged: the caller's identity, signature,
 * deadline and cancellation belong to one request. A merged call goes through every
 * client layer as one fetch.
 */
export class EntityFetchBatcher {
  private readonly operations: MergedOperations;
  private waiting = new Map<GatewayContext, Member[]>();
  private scheduled = false;

  constructor(
    private readonly send: Send,
    private readonly options: EntityBatchOptions,
  ) {
    this.operations = new MergedOperations({
      maxEntries: options.cacheEntries ?? DEFAULT_CACHE_ENTRIES,
      maxBytes: options.cacheBytes ?? DEFAULT_CACHE_BYTES,
    });
  }

  /** Whether this fetch waits for others to merge with: an `_entities` query, for a request. */
  accepts(fetch: MemberFetch): boolean {
    return 'representations' in fetch.variables && this.operations.mergeable(fetch.query);
  }

  /** The fetch's outcome, as if it had been sent alone. */
  add(context: GatewayContext, fetch: MemberFetch): Promise<Sent> {
    const json: [string, string][] = [];
    // Bytes as sent (UTF-8), not characters: the subgraphs' BODY_LIMIT counts bytes.
    let bytes = Buffer.byteLength(fetch.query) + (fetch.operationName?.length ?? 0);
    for (const name of Object.keys(fetch.variables)) {
      const value = JSON.stringify(fetch.variables[name]);
      // JSON.stringify leaves out a variable whose value is undefined (or a function): so does this.
      if (value === undefined) continue;
      json.push([name, value]);
      bytes += name.length + Buffer.byteLength(value);
    }
    return new Promise<Sent>((resolve) => {
      const members = this.waiting.get(context);
      const member: Member = { fetch, json, bytes, trace: traceContext.active(), resolve };
      if (members) members.push(member);
      else this.waiting.set(context, [member]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const waiting = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    for (const [context, members] of waiting) {
      for (const group of this.groups(members)) {
        void traceContext.with(group[0]!.trace, () => this.sendGroup(context, group));
      }
    }
  }

  /** The members in order, cut where a call would exceed its bounds. */
  private groups(members: Member[]): Member[][] {
    const groups: Member[][] = [];
    let group: Member[] = [];
    let bytes = 0;
    for (const member of members) {
      if (group.length && (group.length >= MAX_MEMBERS || bytes + member.bytes > this.options.maxBodyBytes)) {
        groups.push(group);
        group = [];
        bytes = 0;
      }
      group.push(member);
      bytes += member.bytes;
    }
    if (group.length) groups.push(group);
    return groups;
  }

  /** The client never throws; should a layer ever do so, its members fail as unreachable rather than wait forever. */
  private sendSafely(fetch: SubgraphFetch): Promise<Sent> {
    return this.send(fetch).catch((): Sent => ({ kind: 'unreachable' }));
  }

  private async sendGroup(context: GatewayContext, group: Member[]): Promise<void> {
    if (group.length === 1) {
      const [member] = group as [Member];
      const { query, operationName } = member.fetch;
      member.resolve(
        await this.sendSafely(fetchFor(context, bodyOf(query, member.json, operationName), operationName)),
      );
      return;
    }
    let operation;
    try {
      operation = this.operations.operation(group.map((member) => member.fetch.query));
    } catch {
      // Not expected (every member was checked): then each goes alone.
      for (const member of group) void this.sendGroup(context, [member]);
      return;
    }
    const variables: [string, string][] = [];
    group.forEach((member, index) => {
      const names = new Map(operation.variables[index]);
      for (const [name, json] of member.json) {
        const renamed = names.get(name);
        if (renamed) variables.push([renamed, json]);
      }
    });
    const { text, operationName } = operation;
    const fetch = fetchFor(context, bodyOf(text, variables, operationName), operationName);
    fetch.merged = group.length;
    const answers = splitAnswer(await this.sendSafely(fetch), group.length);
    group.forEach((member, index) => member.resolve(answers[index]!));
  }
}

function fetchFor(context: GatewayContext, body: string, operationName: string | undefined): SubgraphFetch {
  return { body, operationName, mutation: false, context, deadlineAt: Number.POSITIVE_INFINITY, headers: {} };
}

/**
 * `JSON.stringify({ query, variables, operationName })` from variables already written
 * as JSON: the very bytes a fetch sent alone has always had.
 */
export function bodyOf(
  query: string,
  variables: readonly (readonly [string, string])[],
  operationName?: string,
): string {
  let body = `{"query":${JSON.stringify(query)},"variables":{`;
  variables.forEach(([name, json], index) => {
    body += `${index ? ',' : ''}${JSON.stringify(name)}:${json}`;
  });
  body += '}';
  if (operationName !== undefined) body += `,"operationName":${JSON.stringify(operationName)}`;
  return `${body}}`;
}
