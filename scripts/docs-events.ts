/** `npm run docs:events`: regenerates docs/events.md from the event catalog. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderEventDocs } from './lib/eventDocs';

const target = path.resolve(__dirname, '..', 'docs', 'events.md');
writeFileSync(target, renderEventDocs());
console.log(`Wrote ${path.relative(process.cwd(), target)}.`);
