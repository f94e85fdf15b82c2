import path from 'node:path';
import { errorCauses } from '@apollo/federation-internals';
import { ChangeType, CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { Kind, parse, type DocumentNode } from 'graphql';
import { readRequirements, subgraphRegistration, type Requirement } from '@car-check/service-kit';
import { brokenOperations, clientOperationFiles, type BrokenOperation } from './clientOperations';
import { compose, parseErrorLine, readSupergraphConfig, REPO_ROOT } from './compose';
import { apiSchemaOf } from '../../gateway/src/supergraph/servedSchema';
import { publishedSupergraph, type PublishedSupergraph } from './publishedSupergraph';
import { readSdlFile, SHARED_SDL_FILE, subgraphSdl } from './subgraphSdl';

export { DEFAULT_OPERATIONS_FILE } from './clientOperations';
export type { BrokenOperation } from './clientOperations';

export interface SchemaChange {
  type: string;
  /** The schema coordinate changed (`Car.version`), when there is one. */
  path?: string;
  description: string;
}

/** What a proposed supergraph changes for clients, against the published one. */
export interface GraphChanges {
  breaking: SchemaChange[];
  dangerous: SchemaChange[];
  /** Additions and other changes no client can notice. */
  safe: SchemaChange[];
  /** Client operations that would no longer validate. */
  brokenOperations: BrokenOperation[];
  operationsChecked: number;
  /** What the comparison could not cover, for people. */
  notes: string[];
}

export interface CheckReport extends GraphChanges {
  subgraph: string;
  schemaFile: string;
  /** Where the published supergraph was read (see publishedSupergraph.ts). */
  against: string;
  /** Composition errors, or why the gateway would refuse what composed; if any, nothing else was checked. */
  compositionErrors: string[];
}

export interface CheckOptions {
  subgraph: string;
  /** The proposed SDL, as its team writes it (own types only); defaults to the subgraph's schema.graphql. */
  schemaFile?: string;
  configPath?: string;
  /** The baseline: a gateway URL or a supergraph file; by default the committed supergraph. */
  against?: string;
  /** .graphql files of the operations clients send (default: clientOperationFiles()). */
  operationFiles?: string[];
}

/**
 * Would this subgraph change break the graph? Composes the proposed SDL with the other
 * subgraphs, then compares the result with the published supergraph (see compareWithPublished).
 */
export async function checkSubgraph(options: CheckOptions): Promise<CheckReport> {
  const sources = await readSupergraphConfig(options.configPath);
  const target = sources.find((source) => source.name === options.subgraph);
  if (!target) {
    const known = sources.map((s) => s.name).join(', ');
    throw new Error(`Unknown subgraph "${options.subgraph}"; expected one of ${known}.`);
  }
  // The SDL the team edits, made whole as `npm run generate` would: a check needs no generate first.
  const own = await readSdlFile(
    path.resolve(options.schemaFile ?? subgraphRegistration(target.name, options.configPath).schemaSourceFile),
    REPO_ROOT,
  );
  target.file = own.file;
  let ownError: string | null = null;
  try {
    target.sdl = subgraphSdl(own, await readSdlFile(SHARED_SDL_FILE, REPO_ROOT));
  } catch (error) {
    ownError = parseErrorLine(target.name, own.file, error);
  }
  const published = await publishedSupergraph(options.against);
  const report: CheckReport = {
    subgraph: target.name,
    schemaFile: target.file,
    against: published.source,
    compositionErrors: [],
    breaking: [],
    dangerous: [],
    safe: [],
    brokenOperations: [],
    operationsChecked: 0,
    notes: published.note ? [published.note] : [],
  };
  if (ownError) return { ...report, compositionErrors: [ownError] };
  const outcome = compose(sources);
  if (!outcome.ok) return { ...report, compositionErrors: outcome.errors };
  const refused = gatewayRefusal(outcome.supergraphSdl);
  if (refused) return { ...report, compositionErrors: [refused] };
  const changes = await compareWithPublished(published, outcome.supergraphSdl, options.operationFiles);
  return { ...report, ...changes, notes: [...report.notes, ...changes.notes] };
}

/** Why the gateway would refuse to serve a supergraph that composed (a security feature it does not enforce), or null. */
function gatewayRefusal(supergraphSdl: string): string | null {
  try {
    apiSchemaOf(supergraphSdl);
    return null;
  } catch (error) {
    if (!(error instanceof Error)) return `The gateway would refuse this supergraph: ${String(error)}`;
    const causes = errorCauses(error)?.map((cause) => cause.message) ?? [error.message];
    return `The gateway would refuse this supergraph: ${causes.join('; ')}`;
  }
}

/**
 * The schema diff (@graphql-inspector/core) between the published and the proposed client-facing
 * schemas, with this project's rules on top: an output field made nullable is dangerous, not
 * breaking; changed authorization requirements are dangerous; and the clients' own operations
 * are validated against the proposed schema.
 */
export async function compareWithPublished(
  published: PublishedSupergraph,
  proposedSupergraphSdl: string,
  operationFiles?: string[],
): Promise<GraphChanges> {
  const proposed = apiSchemaOf(proposedSupergraphSdl);
  const changes = await diff(published.apiSchema, proposed);
  const result: GraphChanges = {
    breaking: [],
    dangerous: [],
    safe: [],
    brokenOperations: [],
    operationsChecked: 0,
    notes: [],
  };
  for (const change of changes) {
    const madeNullable = outputFieldMadeNullable(change);
    if (madeNullable) result.dangerous.push(madeNullable);
    else if (change.criticality.level === CriticalityLevel.Breaking) result.breaking.push(schemaChange(change));
    else if (change.criticality.level === CriticalityLevel.Dangerous) result.dangerous.push(schemaChange(change));
    else result.safe.push(schemaChange(change));
  }
  if (published.supergraphSdl) {
    result.dangerous.push(...requirementChanges(published.supergraphSdl, proposedSupergraphSdl));
  } else {
    const why = `${published.source} gives no @authenticated/@requiresScopes`;
    result.notes.push(`Authorization changes not compared: ${why}.`);
  }

  // Files named on the command line must exist; the default list is what is there.
  const operations = await brokenOperations(
    proposed,
    operationFiles ?? (await clientOperationFiles()),
    operationFiles !== undefined,
  );
  return { ...result, brokenOperations: operations.broken, operationsChecked: operations.checked };
}

function schemaChange(change: Change): SchemaChange {
  return { type: String(change.type), ...(change.path ? { path: change.path } : {}), description: change.message };
}

/**
 * An output field whose type only lost its outermost `!` breaks no query: clients that assumed
 * a value must handle null, which is dangerous (they should be told), not breaking.
 */
function outputFieldMadeNullable(change: Change): SchemaChange | null {
  if (!isFieldTypeChange(change)) return null;
  const { typeName, fieldName, oldFieldType, newFieldType } = change.meta;
  if (oldFieldType !== `${newFieldType}!`) return null;
  return {
    type: 'FIELD_MADE_NULLABLE',
    path: `${typeName}.${fieldName}`,
    description: `${typeName}.${fieldName} may now be null (was ${oldFieldType}, now ${newFieldType}).`,
  };
}

function isFieldTypeChange(change: Change): change is Change<typeof ChangeType.FieldTypeChanged> {
  return change.type === ChangeType.FieldTypeChanged;
}

/**
 * Fields whose @authenticated/@requiresScopes changed: clients may start (or stop) being refused.
 * A field added or removed is not one: no client was refused by a field that did not exist, and a
 * removal is a breaking change of its own.
 */
function requirementChanges(currentSdl: string, proposedSdl: string): SchemaChange[] {
  const [current, proposed] = [parse(currentSdl), parse(proposedSdl)];
  const before = readRequirements(current);
  const after = readRequirements(proposed);
  const [fieldsBefore, fieldsAfter] = [fieldCoordinates(current), fieldCoordinates(proposed)];
  const describe = (r: Requirement | undefined) =>
    !r ? 'nothing' : r.scopes.length ? r.scopes.map((all) => all.join(' and ')).join(' or ') : 'a signed-in caller';
  const changes: SchemaChange[] = [];
  for (const coordinate of new Set([...before.keys(), ...after.keys()])) {
    const [was, now] = [before.get(coordinate), after.get(coordinate)];
    if (!fieldsBefore.has(coordinate) || !fieldsAfter.has(coordinate)) continue;
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    changes.push({
      type: 'AUTHORIZATION_CHANGED',
      path: coordinate,
      description: `${coordinate} required ${describe(was)}, now requires ${describe(now)}.`,
    });
  }
  return changes;
}

/** `Type.field` of every field of an object type or interface (definitions and extensions). */
function fieldCoordinates(document: DocumentNode): Set<string> {
  const coordinates = new Set<string>();
  for (const definition of document.definitions) {
    if (
      definition.kind === Kind.OBJECT_TYPE_DEFINITION ||
      definition.kind === Kind.OBJECT_TYPE_EXTENSION ||
      definition.kind === Kind.INTERFACE_TYPE_DEFINITION ||
      definition.kind === Kind.INTERFACE_TYPE_EXTENSION
    ) {
      for (const field of definition.fields ?? []) coordinates.add(`${definition.name.value}.${field.name.value}`);
    }
  }
  return coordinates;
}

/** Whether clients would break: a breaking schema change or a client operation that no longer validates. */
export function breaksClients(changes: GraphChanges): boolean {
  return changes.breaking.length > 0 || changes.brokenOperations.length > 0;
}

/** Whether the report should stop a deployment. */
export function isBlocking(report: CheckReport, allowBreaking: boolean): boolean {
  if (report.compositionErrors.length > 0) return true;
  return !allowBreaking && breaksClients(report);
}

/**
 * The one conclusion, agreeing with every section above it: "no breaking changes" only when
 * neither the schema diff nor any client operation breaks.
 */
function verdictOf(changes: GraphChanges): string {
  const all = `${changes.operationsChecked} client operation(s)`;
  if (breaksClients(changes)) {
    return (
      `✖ BREAKING for clients: ${changes.breaking.length} breaking schema change(s); ` +
      `${changes.brokenOperations.length} of ${all} would break.`
    );
  }
  if (changes.dangerous.length) {
    return `! Not breaking, but ${changes.dangerous.length} dangerous change(s) to review; all ${all} still validate.`;
  }
  return `✔ No breaking or dangerous changes for clients; all ${all} still validate.`;
}

/** Safe changes are named on one line, up to this many: they need no one's attention. */
const SAFE_NAMED = 8;

/** The sections of the changes for people: what breaks, what to review, what clients' operations say. */
function describeChanges(changes: GraphChanges): string[] {
  const lines: string[] = [];
  const section = (mark: string, title: string, list: SchemaChange[]) => {
    if (!list.length) return;
    lines.push(`${mark} ${list.length} ${title}:`);
    lines.push(
      ...list.map((change) => `  - ${change.path ? `${change.path}: ` : ''}${change.description} (${change.type})`),
    );
  };
  section('✖', 'breaking schema change(s)', changes.breaking);
  section('!', 'dangerous change(s)', changes.dangerous);
  if (changes.brokenOperations.length) {
    lines.push(`✖ ${changes.brokenOperations.length} of ${changes.operationsChecked} client operation(s) would break:`);
    for (const op of changes.brokenOperations) lines.push(`  - ${op.name} (${op.file}): ${op.errors.join(' ')}`);
  }
  if (changes.safe.length) {
    const named = changes.safe.slice(0, SAFE_NAMED).map((change) => change.path ?? change.type);
    const more = changes.safe.length > SAFE_NAMED ? ` and ${changes.safe.length - SAFE_NAMED} more` : '';
    lines.push(`  ${changes.safe.length} safe change(s): ${named.join(', ')}${more}`);
  }
  return lines;
}

/** The report for people; `allowBreaking` says so next to the verdict. */
export function formatReport(report: CheckReport, allowBreaking = false): string {
  const lines = [`Checking subgraph "${report.subgraph}" (${report.schemaFile}) against ${report.against}.`];
  lines.push(...report.notes.map((note) => `  (${note})`));
  if (report.compositionErrors.length) {
    lines.push(`✖ Does not compose (${report.compositionErrors.length} error(s)):`);
    lines.push(...report.compositionErrors.map((error) => `  - ${error}`));
    return lines.join('\n');
  }
  lines.push('✔ Composes with the other subgraphs.');
  lines.push(...describeChanges(report));
  const verdict = verdictOf(report);
  lines.push(allowBreaking && breaksClients(report) ? `${verdict} (allowed by --allow-breaking)` : verdict);
  return lines.join('\n');
}
