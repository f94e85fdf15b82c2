/**
 * A `__resolveReference` over a subgraph's fixed rows, by one key field: a key no row has is an
 * error naming the subgraph, the type and the key (the benchmark's data never changes).
 */
export const referenceByKey =
  <Row, Key extends keyof Row & string>(subgraph: string, typename: string, rows: readonly Row[], key: Key) =>
  (reference: Pick<Row, Key>): Row => {
    const row = rows.find((each) => each[key] === reference[key]);
    if (!row) throw new Error(`${subgraph}: no ${typename} with ${key} ${String(reference[key])}`);
    return row;
  };
