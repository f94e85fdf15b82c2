import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { brokenOperations } from '../clientOperations';

/** An API schema as Apollo Gateway builds it: no @defer among its directives. */
const SCHEMA = buildSchema(`
  type Query { car(id: ID!): Car }
  type Car { id: ID! model: String! history: [String!]! }
`);

describe('brokenOperations: client operations validated as the gateway validates them', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'client-operations-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function check(operations: string) {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.graphql`);
    await writeFile(file, operations);
    return brokenOperations(SCHEMA, [file], true);
  }

  it('accepts @defer on fragment spreads and inline fragments (the gateway serves it; the console uses it)', async () => {
    const result = await check(`
      fragment CarHistory on Car { history }
      query Spread($id: ID!) { car(id: $id) { id ...CarHistory @defer(label: "history") } }
      query Inline($id: ID!) { car(id: $id) { id ... @defer(if: false) { model } } }
    `);
    expect(result).toEqual({ broken: [], checked: 2 });
  });

  it('still refuses an unknown directive, and @defer where it may not go', async () => {
    const result = await check(`
      query Unknown($id: ID!) { car(id: $id) { id @stream } }
      query OnField($id: ID!) { car(id: $id) { model @defer } }
    `);
    expect(result.broken.map(({ name, errors }) => ({ name, errors }))).toEqual([
      { name: 'Unknown', errors: ['Unknown directive "@stream".'] },
      { name: 'OnField', errors: ['Directive "@defer" may not be used on FIELD.'] },
    ]);
  });
});
