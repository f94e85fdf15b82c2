import { consoleUrls } from './urls';

describe('consoleUrls', () => {
  it('resolves the default /graphql against the page: the gateway that served the console', () => {
    expect(consoleUrls(undefined, 'http://127.0.0.1:4000/console/')).toEqual({
      graphql: 'http://127.0.0.1:4000/graphql',
      explorer: 'http://127.0.0.1:4000/explorer/',
    });
    expect(consoleUrls('', 'https://localhost:8443/console/#/cars/1')).toEqual({
      graphql: 'https://localhost:8443/graphql',
      explorer: 'https://localhost:8443/explorer/',
    });
  });

  it('keeps a build’s absolute endpoint, with the explorer beside it', () => {
    expect(consoleUrls('http://127.0.0.1:4100/graphql', 'http://localhost:5173/')).toEqual({
      graphql: 'http://127.0.0.1:4100/graphql',
      explorer: 'http://127.0.0.1:4100/explorer/',
    });
  });

  it('resolves a relative endpoint against the page’s base, not the site root', () => {
    expect(consoleUrls('api/graphql', 'http://127.0.0.1:4000/console/').graphql).toBe(
      'http://127.0.0.1:4000/console/api/graphql',
    );
  });
});
