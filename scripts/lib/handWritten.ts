import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Below this line a generated document is written by hand, and its generator keeps it as it is. */
const HAND_WRITTEN_MARKER = '<!-- Written by hand from here on: the generator keeps everything below this line. -->';

/**
 * The hand-written part of docs/<name> (from the marker to the end), to append to what the
 * generator renders; empty when the document has none. One document per topic, with the
 * catalog-driven part generated and the reference prose beside it.
 */
export function handWrittenPart(name: string): string {
  const file = path.resolve(__dirname, '..', '..', 'docs', name);
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(HAND_WRITTEN_MARKER);
  return at < 0 ? '' : `\n${text.slice(at)}`;
}
