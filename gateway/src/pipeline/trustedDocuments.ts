import { readFileSync } from 'node:fs';
import { sha256Hex } from '@car-check/service-kit';

/**
 * A trusted-documents manifest: the operations a team's clients may send, by id
 * (the sha256 of the document's text, lower-case hex), as the web app's codegen
 * writes it (web/persisted-documents.json: `{ "<sha256>": "<document>" }`).
 */
export interface TrustedDocuments {
  /** The document an id names, if the manifest has it. */
  get(id: string): string | undefined;
  /** Only these documents run: ad-hoc text and APQ registration are refused (production). */
  readonly only: boolean;
  readonly size: number;
}

/**
 * Reads and checks a manifest once at start: every key must be the sha256 of its
 * document, so an id can never run a text other than the one it was computed from.
 * A bad manifest stops the gateway with the file's name and the first bad entry.
 */
export function loadTrustedDocuments(file: string, only: boolean): TrustedDocuments {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `TRUSTED_DOCUMENTS: cannot read ${file} as JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new Error(`TRUSTED_DOCUMENTS: ${file} must be a JSON object of sha256 → document.`);
  }
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(manifest)) {
    if (typeof document !== 'string' || sha256Hex(document) !== id) {
      throw new Error(`TRUSTED_DOCUMENTS: in ${file}, "${id.slice(0, 80)}" is not the sha256 of its document.`);
    }
    documents.set(id, document);
  }
  return { get: (id) => documents.get(id), only, size: documents.size };
}
