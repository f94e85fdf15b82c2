import path from 'node:path';
import { defineConfig } from 'prisma/config';

// `prisma generate` insists that a schema-engine binary exists although it never
// runs it. Offline machines cannot download the native one, so point at a stub
// unless a real engine was configured.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(__dirname, 'prisma', 'engine-stub.js');

export default defineConfig({});
