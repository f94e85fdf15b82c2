import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OperationTexts } from '../persistedQueries';
import { sha256Hex } from '@car-check/service-kit';
import { Refusal } from '../refusal';
import { loadTrustedDocuments } from '../trustedDocuments';

const TRUSTED = 'query Trusted { a }';
const OTHER = 'query Other { b }';
const params = (query: string | undefined, extensions: Record<string, unknown> = {}) => ({
  method: 'POST' as const,
  query,
  variables: {},
  extensions,
});
const byId = (text: string) => params(undefined, { persistedQuery: { version: 1, sha256Hash: sha256Hex(text) } });

function refusalOf(run: () => unknown): Refusal {
  try {
    run();
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('trusted documents', () => {
  let dir: string;
  const manifest = (content: unknown) => {
    const file = path.join(dir, `manifest-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trusted-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a manifest whose ids are not the sha256 of their documents, or that is not JSON', () => {
    expect(() => loadTrustedDocuments(manifest({ [sha256Hex(OTHER)]: TRUSTED }), true)).toThrow(
      /is not the sha256 of its document/,
    );
    expect(() => loadTrustedDocuments(manifest('{ nope'), true)).toThrow(/TRUSTED_DOCUMENTS: cannot read .* as JSON/);
    expect(() => loadTrustedDocuments(manifest([TRUSTED]), true)).toThrow(/must be a JSON object/);
  });

  describe('with TRUSTED_DOCUMENTS_ONLY (production)', () => {
    let texts: OperationTexts;
    beforeAll(() => {
      texts = new OperationTexts(1024 * 1024, loadTrustedDocuments(manifest({ [sha256Hex(TRUSTED)]: TRUSTED }), true));
    });

    it('runs a manifest operation sent by id, without its text', () => {
      expect(texts.resolve(byId(TRUSTED))).toEqual({ query: TRUSTED, hash: sha256Hex(TRUSTED), registers: false });
    });

    it('runs the same operation sent as text', () => {
      expect(texts.resolve(params(TRUSTED)).query).toBe(TRUSTED);
    });

    it.each([
      ['ad-hoc text', params(OTHER)],
      ['an unknown id', byId(OTHER)],
      [
        'an APQ registration of another text',
        params(OTHER, { persistedQuery: { version: 1, sha256Hash: sha256Hex(OTHER) } }),
      ],
    ])('refuses %s with PERMISSION_DENIED (403)', (_what, given) => {
      const refusal = refusalOf(() => texts.resolve(given));
      expect([refusal.status, refusal.code]).toEqual([403, 'PERMISSION_DENIED']);
      expect(refusal.body('r').errors[0]!.extensions).toMatchObject({
        reason: 'PERSISTED_QUERY_NOT_IN_LIST',
        code: 'PERMISSION_DENIED',
      });
    });
  });

  describe('without TRUSTED_DOCUMENTS_ONLY (development)', () => {
    const texts = () =>
      new OperationTexts(1024 * 1024, loadTrustedDocuments(manifest({ [sha256Hex(TRUSTED)]: TRUSTED }), false));

    it('serves manifest ids and still accepts anything else, APQ included', () => {
      const dev = texts();
      expect(dev.resolve(byId(TRUSTED)).query).toBe(TRUSTED);
      expect(dev.resolve(params(OTHER)).query).toBe(OTHER);
      const registering = dev.resolve(params(OTHER, { persistedQuery: { version: 1, sha256Hash: sha256Hex(OTHER) } }));
      expect(registering.registers).toBe(true);
      dev.register(registering);
      expect(dev.resolve(byId(OTHER)).query).toBe(OTHER);
    });
  });
});
