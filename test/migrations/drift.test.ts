import vm from 'node:vm';
test('realm', async () => {
  const outer = vm.runInThisContext('globalThis') as typeof globalThis;
  const nr = (outer.process as unknown as {getBuiltinModule: (s: string) => typeof import('node:module')}).getBuiltinModule('node:module').createRequire(__filename);
  const bg = nr('@prisma/schema-engine-wasm/schema_engine_bg');
  const utils = nr('@prisma/driver-adapter-utils');
  const f = async () => 1;
  console.log(Object.keys(bg).length, outer === globalThis, f() instanceof Promise, f() instanceof outer.Promise, typeof utils.bindMigrationAwareSqlAdapterFactory, Uint8Array === outer.Uint8Array);
});
