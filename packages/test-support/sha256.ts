import { createHash } from 'node:crypto';

/**
 * The hex sha256 of a text, as automatic persisted queries and trusted documents name an operation.
 * The tests' own, not the gateway's (gateway/src/pipeline/persistedQueries.ts), so a wrong hash there fails them.
 */
export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
