import { createHash } from 'node:crypto';

/** The sha256 of a text, lower-case hex: the key of operation texts, query plans and supergraph versions. */
export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
