import { listen, type RunningServer } from '@car-check/service-kit';
import { loadGatewayConfig } from '../../gateway/src/config';
import { buildGateway, type Gateway } from '../../gateway/src/server';
import { postGraphQL } from '@car-check/test-support/graphql';
import { TEST_SIGNING_SECRET_TEXT } from '@car-check/test-support/secrets';
import { silentLogger } from '@car-check/test-support/subgraphs';

describe.each([
  ['development', { NODE_ENV: 'development' }, true],
  ['production', { NODE_ENV: 'production' }, false],
])('the gateway in %s mode', (_mode, env, open) => {
  let gateway: Gateway;
  let server: RunningServer;

  beforeAll(async () => {
    const config = loadGatewayConfig({ ...env, GATEWAY_PORT: '0', GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT });
    gateway = await buildGateway(config, silentLogger('gateway'));
    server = await listen(gateway.app, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.apollo.stop();
  });

  it(`${open ? 'serves' : 'does not serve'} Apollo Sandbox to a browser`, async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html.includes('embeddable-sandbox') || html.includes('EmbeddedSandbox')).toBe(open);
  });

  if (open) {
    it("points Sandbox's offline page (Sandbox loads from Apollo's CDN) to the bundled /explorer/", async () => {
      const html = await (await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } })).text();
      const fallback = html.slice(html.indexOf('<div class="fallback">'));
      expect(fallback.slice(0, fallback.indexOf('</div>'))).toContain('<a href="/explorer/">/explorer/</a>');
    });
  }

  it(`${open ? 'answers' : 'refuses'} introspection`, async () => {
    const response = await postGraphQL(`${server.url}/graphql`, { query: '{ __schema { queryType { name } } }' });
    if (open) expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    else expect(response.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
  });
});
