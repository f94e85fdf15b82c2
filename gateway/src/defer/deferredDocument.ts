import {
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  print,
  type SelectionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { sha256Hex } from '@car-check/service-kit';

/**
 * The response key the gateway asks for (`__typename`) where removing the
 * deferred fragments leaves a selection empty; stripped from every answer.
 */
export const PLACEHOLDER_KEY = '__deferPlaceholder';

/** One deferred fragment of an operation: where it sits and which response keys it adds there. */
export interface DeferBlock {
  /** The label the planner sees (unique per operation; the client's may repeat or be absent). */
  readonly label: string;
  /** The client's own label, repeated on each of its incremental results. */
  readonly clientLabel?: string;
  /** Response keys from the root to the object the fragment is on; lists in between are expanded. */
  readonly path: readonly string[];
  /** The response keys the fragment selects on that object. */
  readonly keys: readonly string[];
  /** What runs for this block: the primary selections with this fragment inlined and the others removed. */
  readonly part: DocumentPart;
}

/** One document the executor layers run for one part of the answer. */
export interface DocumentPart {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly source: string;
  readonly queryHash: string;
  /** Whether removing fragments left a selection empty (its answer carries placeholders to strip). */
  readonly hasPlaceholder: boolean;
}

/** An operation with @defer, ready to run in parts. */
export interface DeferredOperation {
  /** What the defer-aware planner plans: fragments inlined, each @defer labelled, `if` resolved, nested @defer inlined. */
  readonly planned: DocumentNode;
  /** The first part: every deferred fragment removed. */
  readonly primary: DocumentPart;
  /** The whole operation with every fragment inlined (when the planner deferred nothing after all). */
  readonly whole: DocumentPart;
  readonly blocks: readonly DeferBlock[];
}

const byDocument = new WeakMap<DocumentNode, Map<string, DeferredOperation | null>>();

/**
 * The operation's deferred parts, or null when it defers nothing (no @defer,
 * or only `@defer(if: false)`). Built once per document, operation and
 * value of the `if:` variables (the documents stage hands out one DocumentNode
 * per text).
 *
 * A @defer inside another deferred fragment is inlined into its parent: the
 * parent's part carries it (Apollo Router sends it as its own part; ours
 * arrives with its parent, never later than the Router's would).
 */
export function deferredOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
): DeferredOperation | null {
  const operation = getOperationAST(document, operationName);
  if (!operation || !mentionsDefer(document)) return null;
  const conditions = deferConditions(operation, document, variables);
  const key = `${operationName ?? ''}\n${conditions.key}`;
  let cached = byDocument.get(document);
  if (!cached) byDocument.set(document, (cached = new Map<string, DeferredOperation | null>()));
  if (cached.has(key)) return cached.get(key) ?? null;
  const built = build(document, operation, conditions.active);
  cached.set(key, built);
  return built;
}

function mentionsDefer(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive: (node) => {
      if (node.name.value === 'defer') found = true;
    },
  });
  return found;
}

/** Whether a @defer directive is on, given the request's variables: only an explicit `if: false` turns it off. */
function deferConditions(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>>,
): { key: string; active: (directive: DirectiveNode) => boolean } {
  const defaults = new Map(
    (operation.variableDefinitions ?? []).map((definition) => [
      definition.variable.name.value,
      definition.defaultValue?.kind === Kind.BOOLEAN ? definition.defaultValue.value : undefined,
    ]),
  );
  const active = (directive: DirectiveNode): boolean => {
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    if (!condition) return true;
    if (condition.kind === Kind.BOOLEAN) return condition.value;
    if (condition.kind !== Kind.VARIABLE) return true;
    const name = condition.name.value;
    const value = name in variables ? variables[name] : defaults.get(name);
    return value !== false;
  };
  const flags: string[] = [];
  visit(document, {
    Directive: (node) => {
      if (node.name.value === 'defer') flags.push(active(node) ? '1' : '0');
    },
  });
  return { key: flags.join(''), active };
}

function build(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  active: (directive: DirectiveNode) => boolean,
): DeferredOperation | null {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const found: { label: string; clientLabel?: string; path: string[]; selectionSet: SelectionSetNode }[] = [];

  // Named fragments are inlined first, so that each deferred fragment is one node at one path.
  const rewrite = (selectionSet: SelectionSetNode, path: string[], insideDefer: boolean): SelectionSetNode => ({
    ...selectionSet,
    selections: selectionSet.selections.map((selection): SelectionNode => {
      if (selection.kind === Kind.FIELD) {
        if (!selection.selectionSet) return selection;
        const key = selection.alias?.value ?? selection.name.value;
        return { ...selection, selectionSet: rewrite(selection.selectionSet, [...path, key], insideDefer) };
      }
      const fragment =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection
          : inlined(fragments.get(selection.name.value), selection.directives ?? []);
      const directives = fragment.directives ?? [];
      const defer = directives.find((directive) => directive.name.value === 'defer');
      const others = directives.filter((directive) => directive !== defer);
      if (!defer || !active(defer) || insideDefer) {
        return { ...fragment, directives: others, selectionSet: rewrite(fragment.selectionSet, path, insideDefer) };
      }
      const label = `__defer${found.length}`;
      const entry: (typeof found)[number] = {
        label,
        clientLabel: literalLabel(defer),
        path,
        selectionSet: fragment.selectionSet,
      };
      found.push(entry);
      const selectionSetOut = rewrite(fragment.selectionSet, path, true);
      entry.selectionSet = selectionSetOut;
      return { ...fragment, directives: [...others, labelled(defer, label)], selectionSet: selectionSetOut };
    }),
  });
  if (!operation.selectionSet) return null;
  const plannedOperation: OperationDefinitionNode = {
    ...operation,
    selectionSet: rewrite(operation.selectionSet, [], false),
  };
  if (found.length === 0) return null;
  const planned: DocumentNode = { kind: Kind.DOCUMENT, definitions: [plannedOperation] };
  return {
    planned,
    primary: partOf(planned, () => false),
    whole: partOf(planned, () => true),
    blocks: found.map(({ label, clientLabel, path, selectionSet }) => ({
      label,
      ...(clientLabel !== undefined ? { clientLabel } : {}),
      path,
      keys: responseKeys(selectionSet),
      part: partOf(planned, (other) => other === label),
    })),
  };
}

/** A named fragment as an inline fragment carrying the spread's directives. */
function inlined(fragment: FragmentDefinitionNode | undefined, directives: readonly DirectiveNode[]) {
  // The documents stage validated the document: every spread names a fragment.
  if (!fragment) throw new Error('a validated document spreads an unknown fragment');
  return {
    kind: Kind.INLINE_FRAGMENT,
    typeCondition: fragment.typeCondition,
    directives: [...(fragment.directives ?? []), ...directives],
    selectionSet: fragment.selectionSet,
  } as const;
}

function literalLabel(defer: DirectiveNode): string | undefined {
  const value = defer.arguments?.find((argument) => argument.name.value === 'label')?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/** `@defer(label: "<ours>")`: `if` is resolved already, the client's label is kept aside. */
function labelled(defer: DirectiveNode, label: string): DirectiveNode {
  const argument: ArgumentNode = {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: 'label' },
    value: { kind: Kind.STRING, value: label },
  };
  return { ...defer, arguments: [argument] };
}

function deferLabelOf(directives: readonly DirectiveNode[] | undefined): string | undefined {
  const defer = directives?.find((directive) => directive.name.value === 'defer');
  return defer ? literalLabel(defer) : undefined;
}

/** The response keys a selection set adds to its object, through the fragments in it. */
function responseKeys(selectionSet: SelectionSetNode): string[] {
  const keys = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) keys.add(selection.alias?.value ?? selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
    }
  };
  walk(selectionSet);
  return [...keys];
}

const placeholder: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY },
  name: { kind: Kind.NAME, value: '__typename' },
};

/** The planned document with the deferred fragments `keep` accepts inlined and the others removed. */
function partOf(planned: DocumentNode, keep: (label: string) => boolean): DocumentPart {
  const document = visit(planned, {
    InlineFragment: {
      enter: (node) => {
        const label = deferLabelOf(node.directives);
        if (label === undefined) return undefined;
        if (!keep(label)) return null;
        return { ...node, directives: (node.directives ?? []).filter((d) => d.name.value !== 'defer') };
      },
    },
    SelectionSet: {
      leave: (node) => (node.selections.length > 0 ? undefined : { ...node, selections: [placeholder] }),
    },
  });
  const operation = getOperationAST(document);
  if (!operation) throw new Error('a deferred part lost its operation');
  const source = print(document);
  return {
    document,
    operation,
    source,
    queryHash: sha256Hex(source),
    hasPlaceholder: source.includes(PLACEHOLDER_KEY),
  };
}

/** `data` without the placeholders that stood in for removed deferred fragments. */
export function withoutPlaceholders<T>(data: T): T {
  if (Array.isArray(data)) return data.map((item: unknown) => withoutPlaceholders(item)) as T;
  if (data === null || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key !== PLACEHOLDER_KEY) out[key] = withoutPlaceholders(value);
  }
  return out as T;
}
