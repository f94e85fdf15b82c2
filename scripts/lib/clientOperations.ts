import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  Kind,
  parse,
  Source,
  validate,
  visit,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { withDefer } from '../../gateway/src/defer/deferDirective';
import { REPO_ROOT } from './compose';

export interface BrokenOperation {
  name: string;
  /** The .graphql file it is in, relative to the repo. */
  file: string;
  errors: string[];
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

/**
 * The client operations of `files` that `schema` would refuse, and how many were checked.
 * With `mustExist`, a file that cannot be read is an error (files named on the command line);
 * otherwise it is skipped (the default list is what is there).
 */
export async function brokenOperations(
  schema: GraphQLSchema,
  files: string[],
  mustExist: boolean,
): Promise<{ broken: BrokenOperation[]; checked: number }> {
  const documents = await readOperationFiles(files, mustExist);
  // Fragments may live in another file than the operations that spread them (the web app's do).
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const { file, document } of documents) {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
      // Clients' fragment names are global (codegen's client preset refuses duplicates too).
      if (fragments.has(definition.name.value)) {
        throw new Error(`${file}: fragment ${definition.name.value} is defined twice among the client operations.`);
      }
      fragments.set(definition.name.value, definition);
    }
  }
  // Validated as the gateway validates them: with @defer, which the API schema leaves out (the console defers).
  const served = withDefer(schema);
  const broken: BrokenOperation[] = [];
  let checked = 0;
  for (const { file, document } of documents) {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      checked += 1;
      const errors = validate(served, {
        kind: Kind.DOCUMENT,
        definitions: [definition, ...fragmentsUsedBy(definition, fragments)],
      });
      if (errors.length) broken.push({ name: operationName(definition), file, errors: errors.map((e) => e.message) });
    }
  }
  return { broken, checked };
}

async function readOperationFiles(
  files: string[],
  mustExist: boolean,
): Promise<{ file: string; document: DocumentNode }[]> {
  const read = await Promise.all(
    files.map(async (absolute) => {
      const text = await readFile(absolute, 'utf8').catch((error: unknown) => {
        if (mustExist)
          throw new Error(
            `Cannot read the operations file ${absolute}: ${error instanceof Error ? error.message : String(error)}`,
          );
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
function fragmentsUsedBy(
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
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
  return (
    definition.name?.value ?? `anonymous ${definition.operation} at line ${definition.loc?.startToken.line ?? '?'}`
  );
}
