import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, type InputObjectTypeDefinitionNode } from 'graphql';
import type { z } from 'zod';
import { INPUT_SCHEMAS as CAR } from '../../subgraphs/car/src/validation';
import { INPUT_SCHEMAS as COST_CENTER } from '../../subgraphs/cost-center/src/validation';
import { INPUT_SCHEMAS as REPORT } from '../../subgraphs/report/src/validation';
import { INPUT_SCHEMAS as USER } from '../../subgraphs/user/src/validation';

/**
 * An input field that is in a subgraph's SDL but not in its zod schema used to
 * be dropped without a word: the client sent it, nothing was written, no error.
 * These tests make that impossible: each input type of each SDL has a strict
 * zod schema with exactly its fields.
 */
const SUBGRAPHS: Record<string, Record<string, z.ZodType>> = {
  car: CAR,
  'cost-center': COST_CENTER,
  user: USER,
  report: REPORT,
};

const ROOT = path.resolve(__dirname, '..', '..');

function sdlInputTypes(subgraph: string): Map<string, string[]> {
  const document = parse(readFileSync(path.join(ROOT, 'subgraphs', subgraph, 'schema.graphql'), 'utf8'));
  const inputs = new Map<string, string[]>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INPUT_OBJECT_TYPE_EXTENSION)
      continue;
    const node = definition as InputObjectTypeDefinitionNode;
    inputs.set(node.name.value, [
      ...(inputs.get(node.name.value) ?? []),
      ...(node.fields ?? []).map((field) => field.name.value),
    ]);
  }
  return inputs;
}

interface ObjectDef {
  type: 'object';
  shape: Record<string, z.ZodType>;
  catchall?: { _zod: { def: { type: string } } };
}

/** The object schema under the wrappers (optional, nullable, default, pipe/transform ...), or null. */
function objectOf(schema: z.ZodType): ObjectDef | null {
  let def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  for (let depth = 0; depth < 20; depth++) {
    if (def.type === 'object') return def as unknown as ObjectDef;
    const inner = (def.innerType ?? def.in) as { _zod: { def: Record<string, unknown> } } | undefined;
    if (!inner) return null;
    def = inner._zod.def;
  }
  return null;
}

describe.each(Object.entries(SUBGRAPHS))(
  'the %s subgraph validates every input field of its SDL',
  (subgraph, schemas) => {
    const inputs = sdlInputTypes(subgraph);

    it('has input types to check', () => {
      expect(inputs.size).toBeGreaterThan(0);
    });

    it('has a zod schema for every SDL input type, and none for a type the SDL does not have', () => {
      const missing = [...inputs.keys()].filter((name) => !(name in schemas));
      const extra = Object.keys(schemas).filter((name) => !inputs.has(name));
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    });

    it.each([...inputs])(
      '%s: every SDL field is a key of its zod schema, and the schema is strict',
      (name, sdlFields) => {
        const schema = schemas[name];
        if (!schema) throw new Error(`${subgraph}: input ${name} has no zod schema in INPUT_SCHEMAS`);
        const object = objectOf(schema);
        if (!object) throw new Error(`${subgraph}: the schema of input ${name} is not a zod object`);
        const keys = Object.keys(object.shape);
        const notHandled = sdlFields.filter((field) => !keys.includes(field)).map((field) => `${name}.${field}`);
        const notInSdl = keys.filter((key) => !sdlFields.includes(key)).map((key) => `${name}.${key}`);
        expect({ notHandled, notInSdl }).toEqual({ notHandled: [], notInSdl: [] });

        // Strict: a key the schema does not know is an error, not silently stripped.
        const unknown = (schema as z.ZodType).safeParse({ notAField: true });
        expect(unknown.success).toBe(false);
        expect(unknown.error?.issues).toContainEqual(
          expect.objectContaining({ code: 'unrecognized_keys', keys: ['notAField'] }),
        );
      },
    );
  },
);
