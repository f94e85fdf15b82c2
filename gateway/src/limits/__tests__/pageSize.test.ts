import { buildSchema, getOperationAST, parse, type FieldNode, type GraphQLField } from 'graphql';
import { DEFAULT_PAGE_SIZE } from '@car-check/service-kit';
import { readCostModel } from '../costModel';
import { coerceVariables, listLength, slicedByVariable } from '../pageSize';

const SDL = `
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
type Query {
  page(first: Int = 4, last: Int): [Int!]! @listSize(slicingArguments: ["first", "last"])
  big(first: Int): [Int!]! @listSize(slicingArguments: ["first"], assumedSize: 50)
  plain: [Int!]!
  tagged: [Int!]! @listSize(assumedSize: 3)
  tags(ids: [ID!]): [Int!]!
}`;
const schema = buildSchema(SDL);
const model = readCostModel(parse(SDL), 10);

/** The page length of the operation's first root field, for the given request variables. */
function lengthOf(query: string, variables: Record<string, unknown> = {}) {
  const operation = getOperationAST(parse(query))!;
  const node = operation.selectionSet.selections[0] as FieldNode;
  const field = schema.getQueryType()!.getFields()[node.name.value] as GraphQLField<unknown, unknown>;
  return listLength(
    model,
    field,
    node,
    model.listSizes.get(`Query.${node.name.value}`),
    coerceVariables(schema, operation, variables),
  );
}

describe('coerceVariables', () => {
  const coerce = (query: string, variables: Record<string, unknown>) =>
    coerceVariables(schema, getOperationAST(parse(query))!, variables);

  it('coerces as execution does: explicit null kept, omitted variables defaulted, a single value made a list', () => {
    expect(coerce('query($n: Int = 5) { plain }', { n: null })).toEqual({ n: null });
    expect(coerce('query($n: Int = 5) { plain }', {})).toEqual({ n: 5 });
    expect(coerce('query($n: Int) { plain }', {})).toEqual({});
    expect(coerce('query($ids: [ID!]) { tags(ids: $ids) }', { ids: 'x' })).toEqual({ ids: ['x'] });
  });

  it('falls back to the declared defaults when the request’s values do not coerce (the gateway then runs nothing)', () => {
    expect(coerce('query($n: Int = 5) { plain }', { n: 'many' })).toEqual({ n: 5 });
    expect(coerce('query($n: Int! = 5) { plain }', { n: null })).toEqual({ n: 5 });
    expect(coerce('query($n: Int!) { plain }', {})).toEqual({});
    expect(coerce('query($n: Nope) { plain }', { n: 1 })).toEqual({});
  });
});

describe('listLength', () => {
  it('takes the largest slicing argument that has a value', () => {
    expect(lengthOf('{ page(first: 3, last: 7) }')).toBe(7);
    expect(lengthOf('query($n: Int) { page(first: $n) }', { n: 9 })).toBe(9);
    expect(lengthOf('{ page(first: -3) }')).toBe(0);
  });

  it('uses the argument’s default in the schema when the argument is left out', () => {
    expect(lengthOf('{ page }')).toBe(4);
    expect(lengthOf('query($n: Int) { page(first: $n) }')).toBe(4);
  });

  it('prices a page argument that ends up null at the subgraphs’ default page, never 0 nor the variable’s default', () => {
    expect(model.defaultPageSize).toBe(DEFAULT_PAGE_SIZE);
    expect(lengthOf('{ page(first: null) }')).toBe(DEFAULT_PAGE_SIZE);
    expect(lengthOf('query($n: Int = 0) { page(first: $n) }', { n: null })).toBe(DEFAULT_PAGE_SIZE);
    expect(lengthOf('query($n: Int = null) { page(first: $n) }')).toBe(DEFAULT_PAGE_SIZE);
    expect(lengthOf('query($n: Int = 0) { page(first: $n) }')).toBe(0);
    // The assumed size, when larger, still bounds it.
    expect(lengthOf('{ big }')).toBe(50);
    expect(lengthOf('{ big(first: 2) }')).toBe(2);
  });

  it('gives a list with no slicing argument its assumed size, else the default list size', () => {
    expect(lengthOf('{ tagged }')).toBe(3);
    expect(lengthOf('{ plain }')).toBe(10);
  });

  it('prices an argument execution could not coerce (refused by validation) at the default page', () => {
    expect(lengthOf('{ page(first: "x") }')).toBe(DEFAULT_PAGE_SIZE);
    expect(lengthOf('query($n: String) { page(first: $n) }', { n: 'x' })).toBe(DEFAULT_PAGE_SIZE);
  });
});

describe('slicedByVariable', () => {
  it('says whether a slicing argument is a variable', () => {
    const field = schema.getQueryType()!.getFields().page as GraphQLField<unknown, unknown>;
    const nodeOf = (query: string) => getOperationAST(parse(query))!.selectionSet.selections[0] as FieldNode;
    expect(
      slicedByVariable(field, nodeOf('query($n: Int) { page(first: $n) }'), model.listSizes.get('Query.page')),
    ).toBe(true);
    expect(slicedByVariable(field, nodeOf('{ page(first: 3) }'), model.listSizes.get('Query.page'))).toBe(false);
  });
});
