// Stand-in for @prisma/streams-local, installed through the root package.json's
// "overrides". The Prisma CLI reaches that package only from `prisma dev` (Prisma's
// local Prisma Postgres server), and the real package needs Node 22 (it uses
// node:sqlite), so on Node 20 it could not run anyway. This project never runs
// `prisma dev`: `npm start` runs PGlite itself, migrations go through
// scripts/lib/schema-engine.ts. Anything that does load it ends here.
'use strict';
exports.startLocalDurableStreamsServer = async function startLocalDurableStreamsServer() {
  throw new Error(
    '`prisma dev` is not available in this project (its @prisma/streams-local needs Node 22). ' +
      'Use `npm start` for embedded databases (see README).',
  );
};
