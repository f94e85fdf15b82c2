/**
 * `make(argument)` at most once per key in this process (a test file) while it succeeds: every
 * caller of a key shares one promise, and a failure is forgotten, so the next caller tries again.
 * `keyOf` names the key of an argument (the argument itself by default).
 */
export function onceEach<Argument, Value>(
  make: (argument: Argument) => Promise<Value>,
  keyOf: (argument: Argument) => unknown = (argument) => argument,
): (argument: Argument) => Promise<Value> {
  const made = new Map<unknown, Promise<Value>>();
  return (argument) => {
    const key = keyOf(argument);
    let value = made.get(key);
    if (!value) {
      value = make(argument);
      made.set(key, value);
      value.catch(() => made.delete(key));
    }
    return value;
  };
}
