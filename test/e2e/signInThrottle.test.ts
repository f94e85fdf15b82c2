import { randomUUID } from 'node:crypto';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { freshClientAddress, sendRaw } from '@car-check/test-support/rawHttp';

const backend = ONE_BACKEND;
// LOGIN_MAX_FAILURES_PER_USER is 3 in tests; LOGIN_MAX_FAILURES_PER_CLIENT and LOGIN_FIRST_DELAY_SECONDS keep their defaults.
const FREE_FAILURES = 3;
const FIRST_DELAY_SECONDS = 5;

// Sign-ins hash passwords (scrypt): on a busy 2-core host a test of many may take minutes.
const SLOW_TEST_MS = 240_000;

interface Answer {
  data?: { login?: { token: string } | null } | null;
  errors?: { extensions: { code: string; retryAfterSeconds?: number } }[];
}

/**
 * Sign-in throttling slows guessing without handing an attacker a way to lock
 * people out (OWASP: progressive delays, not account lockout): guesses from
 * elsewhere never keep an owner out of an address they signed in from, and
 * guesses at many accounts from one address do not keep that address's users
 * out. Brute force against one account stays slow from any number of addresses.
 */
describe(`sign-in throttling (${backend})`, () => {
  let graph: TestGraph;

  beforeAll(async () => {
    // Sign-ins hash passwords: on a busy host they may take longer than the default 5 s.
    graph = await startGraph(backend, {
      seed: true,
      gatewayEnv: { SUBGRAPH_TIMEOUT_MS: '30000', REQUEST_TIMEOUT_MS: '30000' },
    });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const login = async (username: string, password: string, address: string) => {
    const response = await sendRaw(new URL(graph.gatewayUrl).origin, {
      body: JSON.stringify({
        query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
        variables: { u: username, p: password },
      }),
      headers: { 'content-type': 'application/json' },
      localAddress: address,
    });
    const answer = response.json as Answer;
    return {
      code: answer.errors?.[0]?.extensions.code ?? (answer.data?.login?.token ? 'OK' : 'NONE'),
      retryAfterSeconds: answer.errors?.[0]?.extensions.retryAfterSeconds,
    };
  };

  async function newUser(password: string): Promise<string> {
    const username = `throttle-${randomUUID().slice(0, 8)}`;
    const created = await graph.query('mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', {
      input: { username, email: `${username}@example.com`, groups: ['viewer'], password },
    });
    expect(created.errors).toBeUndefined();
    return username;
  }

  it(
    'guesses from many addresses are slowed as one, yet never keep the owner out of an address they signed in from',
    async () => {
      const password = 'owner-right-password';
      const owner = await newUser(password);
      const home = freshClientAddress();
      expect((await login(owner, password, home)).code).toBe('OK');

      const guesses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => login(owner, `wrong-${i}`, freshClientAddress())),
      );
      const codes = guesses.map((guess) => guess.code);
      expect(codes.filter((code) => code === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(FREE_FAILURES);
      expect(codes.filter((code) => code === 'RESOURCE_EXHAUSTED').length).toBeGreaterThanOrEqual(12 - FREE_FAILURES);
      // Even the right password waits, from an address the owner never used: the attacker could be anywhere.
      const elsewhere = await login(owner, password, freshClientAddress());
      expect(elsewhere.code).toBe('RESOURCE_EXHAUSTED');
      expect(elsewhere.retryAfterSeconds).toBeGreaterThanOrEqual(1);

      expect((await login(owner, password, home)).code).toBe('OK');
    },
    SLOW_TEST_MS,
  );

  it(
    'guesses at many usernames from one address do not keep that address’s users out',
    async () => {
      const password = 'office-right-password';
      const [regular, newcomer] = [await newUser(password), await newUser(password)];
      const office = freshClientAddress();
      expect((await login(regular, password, office)).code).toBe('OK');

      // More failures from the address than the old per-address lockout allowed (20), one per username.
      for (let i = 0; i < 21; i++)
        expect((await login(`sprayed-${randomUUID().slice(0, 8)}`, 'Winter2026!', office)).code).toBe(
          'UNAUTHENTICATED',
        );

      expect((await login(regular, password, office)).code).toBe('OK');
      expect((await login(newcomer, password, office)).code).toBe('OK');
    },
    SLOW_TEST_MS,
  );

  it(
    'failures at one account from one address make its next attempt wait, starting with the first delay',
    async () => {
      const password = 'pair-right-password';
      const username = await newUser(password);
      const address = freshClientAddress();
      for (let i = 0; i < FREE_FAILURES; i++)
        expect((await login(username, `wrong-${i}`, address)).code).toBe('UNAUTHENTICATED');
      const waiting = await login(username, password, address);
      expect(waiting.code).toBe('RESOURCE_EXHAUSTED');
      expect(waiting.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(waiting.retryAfterSeconds).toBeLessThanOrEqual(FIRST_DELAY_SECONDS);
    },
    SLOW_TEST_MS,
  );
});
