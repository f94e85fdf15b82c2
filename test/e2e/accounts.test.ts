import { randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from '@car-check/service-kit';
import { bootSubgraph, type PrismaLike } from '@car-check/subgraph-kit';
import { bootstrapAdmin, BootstrapRefused } from '../../subgraphs/user/src/bootstrap';
import { verifyPassword } from '../../subgraphs/user/src/auth/password';
import type { PrismaClient as UserPrisma } from '../../subgraphs/user/src/prisma';
import { BACKENDS } from '@car-check/test-support/config';
import { createTestDatabases } from '@car-check/test-support/databases';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { freshClientAddress, sendRaw } from '@car-check/test-support/rawHttp';
import { TEST_EVENT_KEYS_ENV, TEST_JWT_PRIVATE_KEY, TEST_SEED_PASSWORD } from '@car-check/test-support/secrets';
import { silentLogger, subgraphUnderTest, testSubgraphConfig } from '@car-check/test-support/subgraphs';

interface Answer {
  data?: { login?: { token: string } | null } | null;
  errors?: { extensions: { code: string } }[];
}

describe.each(BACKENDS)('accounts cannot be taken over (%s)', (backend) => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const base = () => graph.gatewayUrl.replace(/\/graphql$/, '');
  const login = (username: string, password: string, address: string) =>
    sendRaw(base(), {
      body: JSON.stringify({
        query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
        variables: { u: username, p: password },
      }),
      headers: { 'content-type': 'application/json' },
      localAddress: address,
    });

  async function newUser(password: string): Promise<string> {
    const username = `guess-${randomUUID().slice(0, 8)}`;
    const created = await graph.query<{ createUser: { id: string } }>(
      'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { username, email: `${username}@example.com`, groups: ['viewer'], password } },
    );
    expect(created.errors).toBeUndefined();
    return username;
  }

  it('evaluates at most the limit of concurrent guesses, whatever their number', async () => {
    const password = 'the-right-password-1';
    const username = await newUser(password);
    const address = freshClientAddress();
    // 40 guesses at once; the right password is the 32nd (LOGIN_MAX_FAILURES_PER_USER is 3 in tests).
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(username, i === 31 ? password : `wrong-guess-${i}`, address)),
    );
    const codes = answers.map((answer) => (answer.json as Answer).errors?.[0]?.extensions.code ?? 'OK');
    const evaluated = codes.filter((code) => code === 'UNAUTHENTICATED' || code === 'OK').length;
    expect(evaluated).toBeLessThanOrEqual(3);
    expect(codes.filter((code) => code === 'RESOURCE_EXHAUSTED').length).toBeGreaterThanOrEqual(37);
  });

  it('a signed token whose id is not one of the user service’s is UNAUTHENTICATED, not UNAVAILABLE', async () => {
    const key = await importPKCS8(TEST_JWT_PRIVATE_KEY, 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    for (const [sub, jti] of [
      ['not-a-uuid', randomUUID()],
      [randomUUID(), 'not-a-uuid'],
    ]) {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA' })
        .setSubject(sub!)
        .setJti(jti!)
        .setIssuer(DEFAULT_TOKEN_ISSUER)
        .setAudience(DEFAULT_TOKEN_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(key);
      const response = await graph.anonymous('{ me { id } }', undefined, { authorization: `Bearer ${token}` });
      expect({ status: response.status, code: response.errors?.[0]?.extensions?.code }).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });

  it('a sign-in whose audit record cannot be written leaves no token behind', async () => {
    const prisma = graph.subgraphs.user.prisma as UserPrisma;
    const tokensBefore = await prisma.token.count();
    // Make the LOGIN record fail, as a crash between the two writes would.
    await prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_login_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit unavailable'; END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_login_audit BEFORE INSERT ON audit_event
      FOR EACH ROW WHEN (NEW.action = 'LOGIN') EXECUTE FUNCTION refuse_login_audit()`);
    try {
      const answer = (await login('manager', TEST_SEED_PASSWORD, freshClientAddress())).json as Answer;
      expect(answer.data?.login ?? null).toBeNull();
      expect(await prisma.token.count()).toBe(tokensBefore);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER refuse_login_audit ON audit_event');
      await prisma.$executeRawUnsafe('DROP FUNCTION refuse_login_audit()');
    }
    const logins = await prisma.auditEvent.count({ where: { action: 'LOGIN' } });
    const tokens = await prisma.token.count();
    expect(tokens).toBe(logins);
  });
});

describe('a fresh production database', () => {
  it('gets no demo accounts, and its first administrator only from the bootstrap step', async () => {
    const databases = await createTestDatabases('pglite');
    const config = {
      ...testSubgraphConfig('user', databases.target(subgraphUnderTest('user').spec.defaultSchema)),
      production: true,
      seedOnEmpty: true,
    };
    config.env = { ...config.env, ...TEST_EVENT_KEYS_ENV };
    const booted = await bootSubgraph(subgraphUnderTest('user').module, config, silentLogger('user'));
    try {
      const prisma = booted.prisma as PrismaLike as UserPrisma;
      expect(await prisma.user.count()).toBe(0);
      await bootstrapAdmin(prisma, {
        username: 'first-admin',
        email: 'first@example.com',
        password: 'a-long-chosen-password',
      });
      const admin = await prisma.user.findUniqueOrThrow({ where: { username: 'first-admin' } });
      expect(admin.groups).toEqual(['admin']);
      expect(await verifyPassword('a-long-chosen-password', admin.passwordHash!)).toBe(true);
      expect(
        await prisma.auditEvent.count({
          where: { entityId: admin.id, action: 'CREATE', actorId: 'service:bootstrap' },
        }),
      ).toBe(1);
      await expect(
        bootstrapAdmin(prisma, {
          username: 'second-admin',
          email: 'second@example.com',
          password: 'another-long-password',
        }),
      ).rejects.toThrow(BootstrapRefused);
      await expect(
        bootstrapAdmin(prisma, { username: 'x', email: 'x@example.com', password: 'short' }),
      ).rejects.toThrow();
    } finally {
      await booted.stop();
      await databases.drop();
    }
  });
});
