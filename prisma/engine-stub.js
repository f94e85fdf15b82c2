#!/usr/bin/env node
// Stand-in for Prisma's native schema engine, which cannot be downloaded on
// offline machines. `prisma generate` only checks that the file exists; any
// command that really needs the engine ends here with a clear message.
console.error(
  'The native Prisma schema engine is not installed. Migrations are applied by ' +
    '`npm run db:migrate` and created by `npm run db:migration:create` (see README).',
);
process.exit(1);
