import { parse, print } from 'graphql';
import { deferredOperation, PLACEHOLDER_KEY, withoutPlaceholders } from '../deferredDocument';
import { incrementalItems, objectsAt } from '../incremental';
import { DEFERRED_PARTS } from '../../pipeline/writeStream';

/** How an operation with @defer is split into the parts that run, and how a part's fields are sliced out. */
describe('splitting an operation with @defer', () => {
  const compact = (source: string) => print(parse(source)).replace(/\s+/g, ' ');

  it('defers nothing without @defer, or with @defer(if: false) (literal or variable)', () => {
    expect(deferredOperation(parse('{ cars { id } }'), undefined, {})).toBeNull();
    expect(deferredOperation(parse('{ cars { id ... @defer(if: false) { model } } }'), undefined, {})).toBeNull();
    const byVariable = parse('query Q($later: Boolean! = true) { cars { id ... @defer(if: $later) { model } } }');
    expect(deferredOperation(byVariable, 'Q', { later: false })).toBeNull();
    expect(deferredOperation(byVariable, 'Q', {})).not.toBeNull();
    expect(deferredOperation(byVariable, 'Q', { later: true })?.blocks).toHaveLength(1);
  });

  it('makes a primary part without the fragment, and one part per fragment with its path, keys and label', () => {
    const deferred = deferredOperation(
      parse('query Q { cars { id ... @defer(label: "center") { costCenter { code } } } me { id } }'),
      'Q',
      {},
    )!;
    expect(compact(deferred.primary.source)).toBe(compact('query Q { cars { id } me { id } }'));
    expect(deferred.blocks).toHaveLength(1);
    const [block] = deferred.blocks;
    expect(block).toMatchObject({ clientLabel: 'center', path: ['cars'], keys: ['costCenter'] });
    expect(compact(block!.part.source)).toBe(compact('query Q { cars { id ... { costCenter { code } } } me { id } }'));
    // The planner sees unique labels of ours, whatever the client's.
    expect(print(deferred.planned)).toContain(`@defer(label: "${block!.label}")`);
  });

  it('inlines named fragments, and a @defer nested in a deferred fragment into its parent', () => {
    const deferred = deferredOperation(
      parse('{ cars { id ...Late @defer } } fragment Late on Car { model ... @defer { brand } }'),
      undefined,
      {},
    )!;
    expect(deferred.blocks).toHaveLength(1);
    expect(deferred.blocks[0]).toMatchObject({ path: ['cars'], keys: ['model', 'brand'] });
    expect(deferred.blocks[0]).not.toHaveProperty('clientLabel');
    expect(print(deferred.planned).match(/@defer/g)).toHaveLength(1);
  });

  it('asks for a placeholder where removing a fragment empties a selection, and strips it from answers', () => {
    const deferred = deferredOperation(parse('{ car(id: "1") { ... @defer { model } } }'), undefined, {})!;
    expect(deferred.primary.hasPlaceholder).toBe(true);
    expect(deferred.primary.source).toContain(`${PLACEHOLDER_KEY}: __typename`);
    expect(
      withoutPlaceholders({ car: { [PLACEHOLDER_KEY]: 'Car' }, list: [{ [PLACEHOLDER_KEY]: 'X', a: 1 }] }),
    ).toEqual({ car: {}, list: [{ a: 1 }] });
  });
});

describe('slicing a deferred part', () => {
  const primary = { cars: { edges: [{ node: { id: '1' } }, { node: null }, { node: { id: '3' } }] } };
  const block = { path: ['cars', 'edges', 'node'], keys: ['costCenter'], clientLabel: 'cc' };

  it('finds every object at a path, through lists, skipping nulls', () => {
    expect(objectsAt(primary, block.path)).toEqual([
      ['cars', 'edges', 0, 'node'],
      ['cars', 'edges', 2, 'node'],
    ]);
    expect(objectsAt({ me: { id: '1' } }, [])).toEqual([[]]);
  });

  it('gives one incremental result per object, with the errors on its fields and not the primary’s again', () => {
    const denied = {
      message: 'denied',
      path: ['cars', 'edges', 2, 'node', 'costCenter'],
      extensions: { code: 'PERMISSION_DENIED' },
    };
    const primaryError = { message: 'primary', path: ['cars', 'edges', 1, 'node'] };
    const other = { message: 'elsewhere' };
    const run = {
      data: {
        cars: {
          edges: [
            { node: { id: '1', costCenter: { code: 'A' } } },
            { node: null },
            { node: { id: '3', costCenter: null } },
          ],
        },
      },
      errors: [denied, primaryError, other],
    };
    const { items, unplaced } = incrementalItems(block, primary, [primaryError], run);
    expect(items).toEqual([
      { data: { costCenter: { code: 'A' } }, path: ['cars', 'edges', 0, 'node'], label: 'cc' },
      { data: { costCenter: null }, path: ['cars', 'edges', 2, 'node'], label: 'cc', errors: [denied] },
    ]);
    expect(unplaced).toEqual([other]);
  });

  it('gives nothing to an object the fragment’s type condition does not match', () => {
    const { items } = incrementalItems(
      { path: ['cars'], keys: ['battery'] },
      { cars: [{ id: '1' }, { id: '2' }] },
      [],
      { data: { cars: [{ id: '1', battery: 80 }, { id: '2' }] }, errors: [] },
    );
    expect(items).toEqual([{ data: { battery: 80 }, path: ['cars', 0] }]);
  });

  it('frames each part as Apollo Router does (multipart/mixed, deferSpec=20220824)', () => {
    expect(DEFERRED_PARTS.contentType).toBe('multipart/mixed;boundary="graphql";deferSpec=20220824');
    // Each part is followed by the delimiter at once, so that a reader need not wait for the next part.
    const written = [
      DEFERRED_PARTS.start,
      DEFERRED_PARTS.message({ data: { a: 1 }, hasNext: true }),
      DEFERRED_PARTS.message({ incremental: [{ data: { b: 2 }, path: [] }], hasNext: false }),
      DEFERRED_PARTS.end,
    ].join('');
    expect(written).toBe(
      '\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"data":{"a":1},"hasNext":true}\r\n--graphql' +
        '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"incremental":[{"data":{"b":2},"path":[]}],"hasNext":false}\r\n--graphql' +
        '--\r\n',
    );
    expect(DEFERRED_PARTS.heartbeat).toBeUndefined();
  });
});
