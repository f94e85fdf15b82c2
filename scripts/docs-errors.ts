/** `npm run docs:errors`: regenerates docs/errors.md from the error catalog. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderErrorDocs } from './lib/errorDocs';

const target = path.resolve(__dirname, '..', 'docs', 'errors.md');
writeFileSync(target, renderErrorDocs());
console.log(`Wrote ${path.relative(process.cwd(), target)}.`);
