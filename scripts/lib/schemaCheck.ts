import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import {
  BreakingChangeType,
  findBreakingChanges,
  findDangerousChanges,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  Source,
  validate,
  visit,
  type ASTNode,
  type BreakingChange,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { readRequirements, type Requirement } from '@car-check/service-kit';
import { compose, readSupergraphConfig, REPO_ROOT } from './compose';

export interface SchemaChange {
  type: string;
  description: string;
}

export interface BrokenOperation {
  name: string;
  /** The .graphql file it is in, relative to the repo. */
  file: string;
  errors: string[];
}

export interface CheckReport {
  subgraph: string;
  schemaFile: string;
  /** Composition errors; when there are any, nothing else was checked. */
  compositionErrors: string[];
  breaking: SchemaChange[];
  dangerous: SchemaChange[];
  /** Client operations (from the persisted-operations list) that would no longer validate. */
  brokenOperations: BrokenOperation[];
  operationsChecked: number;
}

export interface CheckOptions {
  subgraph: string;
  /** The proposed SDL; defaults to the subgraph's file on disk. */
  schemaFile?: string;
  configPath?: string;
  /** The supergraph clients use today (the committed one). */
  currentSupergraphPath?: string;
  /** .graphql files of the operations clients send (default: clientOperationFiles()). */
  operationFiles?: string[];
}

export const DEFAULT_OPERATIONS_FILE = path.join(REPO_ROOT, 'operations', 'client-operations.graphql');
/** Where the example web app keeps its operations (one .graphql file per screen). */
const WEB_OPERATIONS_DIR = path.join(REPO_ROOT, 'web', 'src');

/** The operations clients send: the persisted-operations list and every .graphql file of the web app. */
export async function clientOperationFiles(): Promise<string[]> {
  const web = await readdir(WEB_OPERATIONS_DIR, { recursive: true }).catch(() => [] as string[]);
  const webFiles = web
    .filter((file) => file.endsWith('.graphql') && !file.split(path.sep).includes('__generated__'))
    .sort()
    .map((file) => path.join(WEB_OPERATIONS_DIR, file));
  return [DEFAULT_OPERATIONS_FILE, ...webFiles];
}

/** The client-facing schema of a supergraph: what frontends can query. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  // Security features (@authenticated, @requiresScopes) are enforced by our gateway; accept them here.
  return Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema();
}

/**
 * Would this subgraph change break the graph? Composes the proposed SDL with
 * the other subgraphs, then compares the resulting client-facing schema with
 * the current one (graphql-js's breaking and dangerous change finders), lists
 * changed authorization requirements, and validates the clients' operations.
 */
export async function checkSubgraph(options: CheckOptions): Promise<CheckReport> {
  const sources = await readSupergraphConfig(options.configPath);
  const target = sources.find((source) => source.name === options.subgraph);
  if (!target) throw new Error(`Unknown subgraph "${options.subgraph}"; expected one of ${sources.map((s) => s.name).join(', ')}.`);
  if (options.schemaFile) {
    target.sdl = await readFile(options.schemaFile, 'utf8');
    target.file = path.relative(REPO_ROOT, path.resolve(options.schemaFile));
  }
  const report: CheckReport = {
    subgraph: target.name,
    schemaFile: target.file,
    compositionErrors: [],
    breaking: [],
    dangerous: [],
    brokenOperations: [],
    operationsChecked: 0,
  };

  const outcome = compose(sources);
  if (!outcome.ok) return { ...report, compositionErrors: outcome.errors };

  const currentSdl = await readFile(options.currentSupergraphPath ?? path.join(REPO_ROOT, 'supergraph.graphql'), 'utf8');
  const current = apiSchemaOf(currentSdl);
  const proposed = apiSchemaOf(outcome.supergraphSdl);
  // An output field that may now be null breaks no query: clients that assumed a value must
  // handle null, which is dangerous (they should be told), not breaking.
  const [relaxed, breaking] = partition(findBreakingChanges(current, proposed), (change) => outputFieldMadeNullable(current, proposed, change));
  report.breaking = breaking.map(({ type, description }) => ({ type, description }));
  report.dangerous = [
    ...relaxed.map(({ description }) => ({ type: 'FIELD_MADE_NULLABLE', description: description.replace(/changed type from (.+) to (.+)\.$/, 'may now be null (was $1, now $2).') })),
    ...findDangerousChanges(current, proposed).map(({ type, description }) => ({ type, description })),
    ...requirementChanges(currentSdl, outcome.supergraphSdl),
  ];

  // Files named on the command line must exist; the default list is what is there.
  const documents = await readOperationFiles(options.operationFiles ?? (await clientOperationFiles()), options.operationFiles !== undefined);
  // Fragments may live in another file than the operations that spread them (the web app's do).
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const { file, document } of documents) {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
      // Clients' fragment names are global (codegen's client preset refuses duplicates too).
      if (fragments.has(definition.name.value)) throw new Error(`${file}: fragment ${definition.name.value} is defined twice among the client operations.`);
      fragments.set(definition.name.value, definition);
    }
  }
  for (const { file, document } of documents) {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      report.operationsChecked += 1;
      const errors = validate(proposed, { kind: Kind.DOCUMENT, definitions: [definition, ...fragmentsUsedBy(definition, fragments)] });
      if (errors.length) {
        report.brokenOperations.push({ name: operationName(definition), file, errors: errors.map((e) => e.message) });
      }
    }
  }
  return report;
}

async function readOperationFiles(files: string[], mustExist: boolean): Promise<{ file: string; document: DocumentNode }[]> {
  const read = await Promise.all(
    files.map(async (absolute) => {
      const text = await readFile(absolute, 'utf8').catch((error: unknown) => {
        if (mustExist) throw new Error(`Cannot read the operations file ${absolute}: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      });
      const file = path.relative(REPO_ROOT, path.resolve(absolute));
      // Named after its file, so a syntax error points at file:line:column.
      return text === null ? [] : [{ file, document: parse(new Source(text, file)) }];
    }),
  );
  return read.flat();
}

/** The fragments an operation spreads, directly or through other fragments (validation refuses unused ones). */
function fragmentsUsedBy(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: ASTNode[] = [operation];
  while (pending.length) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !used.has(node.name.value)) {
          used.set(node.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()];
}

function operationName(definition: OperationDefinitionNode): string {
  return definition.name?.value ?? `anonymous ${definition.operation} at line ${definition.loc?.startToken.line ?? '?'}`;
}

/** Fields whose @authenticated/@requiresScopes changed: clients may start (or stop) being refused. */
function requirementChanges(currentSdl: string, proposedSdl: string): SchemaChange[] {
  const before = readRequirements(parse(currentSdl));
  const after = readRequirements(parse(proposedSdl));
  const describe = (r: Requirement | undefined) =>
    !r ? 'nothing' : r.scopes.length ? r.scopes.map((all) => all.join(' and ')).join(' or ') : 'a signed-in caller';
  const changes: SchemaChange[] = [];
  for (const coordinate of new Set([...before.keys(), ...after.keys()])) {
    const [was, now] = [before.get(coordinate), after.get(coordinate)];
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    changes.push({
      type: 'AUTHORIZATION_CHANGED',
      description: `${coordinate} required ${describe(was)}, now requires ${describe(now)}.`,
    });
  }
  return changes;
}

/** Whether the report should stop a deployment. */
export function isBlocking(report: CheckReport, allowBreaking: boolean): boolean {
  if (report.compositionErrors.length > 0) return true;
  return !allowBreaking && (report.breaking.length > 0 || report.brokenOperations.length > 0);
}

/** The report for people. */
export function formatReport(report: CheckReport): string {
  const lines = [`Checking subgraph "${report.subgraph}" (${report.schemaFile}) against the current supergraph.`];
  if (report.compositionErrors.length) {
    lines.push(`✖ Does not compose (${report.compositionErrors.length} error(s)):`);
    lines.push(...report.compositionErrors.map((error) => `  - ${error}`));
    return lines.join('\n');
  }
  lines.push('✔ Composes with the other subgraphs.');
  const section = (mark: string, title: string, changes: SchemaChange[]) => {
    if (!changes.length) return;
    lines.push(`${mark} ${changes.length} ${title}:`);
    lines.push(...changes.map((change) => `  - ${change.type}: ${change.description}`));
  };
  section('✖', 'breaking change(s)', report.breaking);
  section('!', 'dangerous change(s)', report.dangerous);
  if (!report.breaking.length && !report.dangerous.length) lines.push('✔ No breaking or dangerous changes for clients.');
  if (report.brokenOperations.length) {
    lines.push(`✖ ${report.brokenOperations.length} of ${report.operationsChecked} client operation(s) would break:`);
    for (const op of report.brokenOperations) lines.push(`  - ${op.name} (${op.file}): ${op.errors.join(' ')}`);
  } else if (report.operationsChecked) {
    lines.push(`✔ All ${report.operationsChecked} client operations still validate.`);
  }
  return lines.join('\n');
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

/** A FIELD_CHANGED_KIND change where an output field's type only lost its outermost `!`. */
function outputFieldMadeNullable(current: GraphQLSchema, proposed: GraphQLSchema, change: BreakingChange): boolean {
  if (change.type !== BreakingChangeType.FIELD_CHANGED_KIND) return false;
  const match = /^(\w+)\.(\w+) changed type/.exec(change.description);
  if (!match) return false;
  const [, typeName, fieldName] = match as unknown as [string, string, string];
  const before = current.getType(typeName);
  const after = proposed.getType(typeName);
  if (!isObjectType(before) && !isInterfaceType(before)) return false;
  if (!isObjectType(after) && !isInterfaceType(after)) return false;
  const oldType = before.getFields()[fieldName]?.type;
  const newType = after.getFields()[fieldName]?.type;
  return !!oldType && !!newType && isNonNullType(oldType) && String(oldType.ofType) === String(newType);
}
