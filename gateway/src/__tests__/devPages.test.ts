import type { GraphQLServerContext } from '@apollo/server';
import { sandboxLandingPage, servesDevPages } from '../devPages';

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
