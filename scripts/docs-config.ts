/** `npm run docs:config`: regenerates docs/configuration-reference.md from the services' zod schemas. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigReference } from './lib/configReference';

const target = path.resolve(__dirname, '..', 'docs', 'configuration-reference.md');
writeFileSync(target, renderConfigReference());
console.log(`Wrote ${path.relative(process.cwd(), target)}.`);
