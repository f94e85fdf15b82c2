import { Kind, type DocumentNode, type InterfaceTypeDefinitionNode } from 'graphql';
import type { SdlFile } from './subgraphSdl';

/** The mark on a subgraph's type that asks for a shared set of fields: `@sharedFields(from: "AuditedEntity")`. */
export const SHARED_FIELDS_DIRECTIVE = 'sharedFields';

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * A subgraph's own SDL with each `@sharedFields(from: "X")` mark replaced by the fields of the
 * shared interface X, appended to the marked type as written there (descriptions and
 * directives included). The fields are the graph's, the interface is not: it never reaches a
 * subgraph, so the composed supergraph is what it would be with the fields written out in
 * each type. Everything else in the file is left as written.
 */
export function withSharedFields(
  own: SdlFile,
  ownDocument: DocumentNode,
  shared: SdlFile,
  sharedDocument: DocumentNode,
): string {
  const fieldSets = new Map(
    sharedDocument.definitions
      .filter(
        (definition): definition is InterfaceTypeDefinitionNode => definition.kind === Kind.INTERFACE_TYPE_DEFINITION,
      )
      .map((definition) => [definition.name.value, definition]),
  );
  const edits: Edit[] = [];
  for (const definition of ownDocument.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || !definition.loc) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== SHARED_FIELDS_DIRECTIVE || !directive.loc) continue;
      const from = directive.arguments?.find((argument) => argument.name.value === 'from')?.value;
      const setName = from?.kind === Kind.STRING ? from.value : '';
      const fields = fieldSets.get(setName)?.fields ?? [];
      const [first, last] = [fields[0]?.loc, fields.at(-1)?.loc];
      if (!first || !last) {
        throw new Error(
          `${own.file}: ${definition.name.value} asks for @${SHARED_FIELDS_DIRECTIVE}(from: "${setName}"), which is no interface with fields in ${shared.file}.`,
        );
      }
      edits.push({ start: startOfSpaces(own.sdl, directive.loc.start), end: directive.loc.end, text: '' });
      // Before the type's closing brace, which stands at the start of its own line.
      const closingBrace = definition.loc.end - 1;
      const fieldsText = shared.sdl.slice(startOfLine(shared.sdl, first.start), last.end);
      edits.push({ start: closingBrace, end: closingBrace, text: `${fieldsText}\n` });
    }
  }
  // From the end, so that each edit's offsets still hold.
  return edits
    .sort((a, b) => b.start - a.start)
    .reduce((sdl, edit) => sdl.slice(0, edit.start) + edit.text + sdl.slice(edit.end), own.sdl);
}

function startOfSpaces(text: string, at: number): number {
  let start = at;
  while (start > 0 && text[start - 1] === ' ') start -= 1;
  return start;
}

function startOfLine(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}
