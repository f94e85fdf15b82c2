import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { GraphQLServerContext } from '@apollo/server';
import express from 'express';
import { servesDevPages } from '../devPageList';
import { mountDevPages, sandboxLandingPage } from '../devPages';

/** The HTML a browser gets on GET /graphql from this landing page plugin. */
async function landingHtml(config: { production: boolean; landingPage: boolean }): Promise<string> {
  const listener = await sandboxLandingPage(config).serverWillStart?.({} as GraphQLServerContext);
  const page = await listener?.renderLandingPage?.();
  if (!page) throw new Error('no landing page');
  return typeof page.html === 'string' ? page.html : page.html();
}

describe('the development pages beside Sandbox', () => {
  it('are served only outside production, with the landing page', () => {
    expect(servesDevPages({ production: false, landingPage: true })).toBe(true);
    expect(servesDevPages({ production: false, landingPage: false })).toBe(false);
    expect(servesDevPages({ production: true, landingPage: true })).toBe(false);
  });

  it("are named in Sandbox's offline fallback where they are served, and only there", async () => {
    const development = await landingHtml({ production: false, landingPage: true });
    expect(development).toMatch(
      /<div class="fallback">[^]*cannot be loaded[^]*<a href="\/explorer\/">\/explorer\/<\/a>[^]*?<\/div>/,
    );
    const production = await landingHtml({ production: true, landingPage: true });
    expect(production).toContain('<div class="fallback">');
    expect(production).not.toContain('/explorer/');
  });
});

describe('a development page that is not built yet', () => {
  let webDist: string;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let base: string;

  beforeAll(async () => {
    webDist = mkdtempSync(path.join(os.tmpdir(), 'dev-pages-'));
    const app = express();
    mountDevPages(app, webDist);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(webDist, { recursive: true, force: true });
  });

  // npm start builds the pages after the graph answers: a browser opened on the banner's link
  // meanwhile must end on the page without anyone pressing reload.
  it('answers a page that says so and reloads itself, then the page once it is built', async () => {
    const waiting = await fetch(`${base}/console/`);
    expect(waiting.status).toBe(503);
    expect(waiting.headers.get('content-type')).toMatch(/^text\/html/);
    expect(waiting.headers.get('retry-after')).toBe('2');
    expect(waiting.headers.get('cache-control')).toBe('no-store');
    const html = await waiting.text();
    expect(html).toMatch(/<meta http-equiv="refresh" content="2">/);
    expect(html).toContain('npm run build:console -w web');

    mkdirSync(path.join(webDist, 'console'));
    writeFileSync(path.join(webDist, 'console', 'index.html'), '<!doctype html><title>Fleet console</title>');
    const built = await fetch(`${base}/console/`);
    expect(built.status).toBe(200);
    expect(await built.text()).toContain('<title>Fleet console</title>');
    const bare = await fetch(`${base}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
  });

  it('names, for the explorer, its own build command', async () => {
    const explorer = await fetch(`${base}/explorer/`);
    expect(explorer.status).toBe(503);
    expect(await explorer.text()).toContain('npm run build:explorer -w web');
  });
});
