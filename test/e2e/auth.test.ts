import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import {
  ANONYMOUS,
  DEFAULT_TOKEN_AUDIENCE,
  DEFAULT_TOKEN_ISSUER,
  SCOPES,
  SIGNATURE_HEADER,
} from '@car-check/service-kit';
import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf, errorCodesByPath, postGraphQL } from '@car-check/test-support/graphql';
import { LogCapture } from '@car-check/test-support/logCapture';
import { TEST_JWT_PRIVATE_KEY, TEST_SEED_PASSWORD } from '@car-check/test-support/secrets';
import { signedPost } from '@car-check/test-support/signing';
import { waitFor } from '@car-check/test-support/waitFor';

// Authentication is about HTTP and tokens, not the database: one backend is enough.
const backend = ONE_BACKEND;
const user = (name: string) => seedUsers.find((u) => u.username === name)!;

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token signed with `key`, shaped like the user service's, with `claims` overriding. */
async function forgeToken(key: string, claims: Record<string, unknown> = {}): Promise<string> {
  const privateKey = createPrivateKey(key);
  const kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(privateKey)));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
    .setSubject(user('admin').id)
    .setJti(randomUUID())
    .setIssuer(DEFAULT_TOKEN_ISSUER)
    .setAudience(DEFAULT_TOKEN_AUDIENCE)
    .setIssuedAt((claims.iat as number | undefined) ?? now)
    .setExpirationTime((claims.exp as number | undefined) ?? now + 600)
    .sign(privateKey);
}

describe(`authentication and authorization (${backend})`, () => {
  let graph: TestGraph;
  let carProxy: DelayProxy;
  const logs = { gateway: new LogCapture('gateway'), subgraphs: new LogCapture('subgraphs') };

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      gatewayLog: logs.gateway.log,
      subgraphLog: logs.subgraphs.log,
      routeThrough: {
        car: async (url) => {
          carProxy = new DelayProxy(url);
          return carProxy.start();
        },
      },
    });
  });
  afterAll(async () => {
    await graph?.stop();
    await carProxy?.stop();
  });

  const withToken = (token: string) => ({ authorization: `Bearer ${token}` });
  const CARS = '{ cars { totalCount } }';

  describe('login', () => {
    it('returns a signed token that expires in about an hour, and the user', async () => {
      const response = await graph.anonymous(
        `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt user { username } } }`,
        { u: 'manager', p: TEST_SEED_PASSWORD },
      );
      const { login } = dataOf(response as never) as {
        login: { token: string; expiresAt: string; user: { username: string } };
      };
      expect(login.user.username).toBe('manager');
      const expiresIn = Date.parse(login.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(59 * 60_000);
      expect(expiresIn).toBeLessThanOrEqual(60 * 60_000);
      const [header, payload] = login.token
        .split('.')
        .slice(0, 2)
        .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT', kid: expect.any(String) });
      expect(payload).toMatchObject({
        sub: user('manager').id,
        iss: DEFAULT_TOKEN_ISSUER,
        aud: DEFAULT_TOKEN_AUDIENCE,
        jti: expect.any(String),
      });
      expect(payload.scope).toBeUndefined();

      const me = await graph.anonymous('{ me { username email groups } }', undefined, withToken(login.token));
      expect(me.data).toEqual({ me: { username: 'manager', email: user('manager').email, groups: ['fleet-manager'] } });
    });

    it('answers a wrong username and a wrong password identically', async () => {
      const attempt = (u: string, p: string) =>
        graph.anonymous('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u, p });
      const [unknownUser, wrongPassword] = await Promise.all([
        attempt('nobody-here', 'whatever-pass'),
        attempt('lea.dubois', 'wrong-password'),
      ]);
      // Each request has its own request id and trace id; nothing else may differ.
      const { requestId, traceId } = unknownUser.errors![0]!.extensions!;
      expect(unknownUser.errors).toEqual(
        wrongPassword.errors?.map((e) => ({ ...e, extensions: { ...e.extensions, requestId, traceId } })),
      );
      expect(unknownUser.errors?.[0]).toMatchObject({
        path: ['login'],
        extensions: { code: 'UNAUTHENTICATED', grpcStatus: 16 },
      });
    });

    it('slows and then refuses repeated failures for one username with RESOURCE_EXHAUSTED', async () => {
      const attempt = (p: string) =>
        graph.anonymous('mutation($p: String!) { login(username: "hugo.bernard", password: $p) { token } }', { p });
      // LOGIN_MAX_FAILURES_PER_USER is 3 in tests.
      for (let i = 0; i < 3; i++)
        expect((await attempt(`guess-${i}`)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const locked = await attempt(TEST_SEED_PASSWORD);
      expect(locked.errors?.[0]?.extensions).toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        grpcStatus: 8,
        retryAfterSeconds: expect.any(Number),
      });
      expect(locked.data).toBeNull();
    });
  });

  describe('the gateway refuses bad tokens with 401 before calling any subgraph', () => {
    it.each([
      [
        'an expired token',
        () =>
          forgeToken(TEST_JWT_PRIVATE_KEY, {
            iat: Math.floor(Date.now() / 1000) - 7200,
            exp: Math.floor(Date.now() / 1000) - 3600,
          }),
      ],
      [
        'a token signed with another key',
        () => forgeToken(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      ],
      [
        'an alg:none token',
        async () =>
          `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: user('admin').id, jti: randomUUID(), iss: DEFAULT_TOKEN_ISSUER, aud: DEFAULT_TOKEN_AUDIENCE, exp: 9999999999, iat: 1 })}.`,
      ],
      [
        'an HS256 token keyed with the public key (algorithm confusion)',
        async () => {
          const publicPem = createPublicKey(createPrivateKey(TEST_JWT_PRIVATE_KEY))
            .export({ type: 'spki', format: 'pem' })
            .toString();
          const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user('admin').id, jti: randomUUID(), iss: DEFAULT_TOKEN_ISSUER, aud: DEFAULT_TOKEN_AUDIENCE, exp: 9999999999, iat: 1 })}`;
          return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
        },
      ],
      [
        'a token whose payload was tampered with',
        async () => {
          const [header, payload, signature] = (await graph.login('viewer')).split('.');
          const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
          return `${header}.${b64({ ...claims, sub: user('admin').id })}.${signature}`;
        },
      ],
      ['a token of the wrong audience', () => forgeToken(TEST_JWT_PRIVATE_KEY, { aud: 'someone-else' })],
      ['garbage', async () => 'not.a.jwt'],
    ])('%s', async (_what, makeToken) => {
      const before = carProxy.requests;
      const response = await graph.anonymous(CARS, undefined, withToken(await makeToken()));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.data).toBeUndefined();
      expect(response.errors).toEqual([
        {
          message: expect.any(String),
          extensions: {
            code: 'UNAUTHENTICATED',
            grpcStatus: 16,
            requestId: response.headers.get('x-request-id'),
            traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
          },
        },
      ]);
      expect(carProxy.requests).toBe(before);
    });

    it('refuses a well-signed token the user service never issued (unknown token id)', async () => {
      const response = await graph.anonymous(CARS, undefined, withToken(await forgeToken(TEST_JWT_PRIVATE_KEY)));
      expect(response.status).toBe(401);
    });
  });

  describe('revocation reaches every service within 5 seconds', () => {
    const isRefused = async (token: string) =>
      (await graph.anonymous('{ me { id } }', undefined, withToken(token))).status === 401;

    it('logout revokes the token it was sent with, and only that one', async () => {
      const [first, second] = [await graph.login('claire.martin'), await graph.login('claire.martin')];
      expect(await isRefused(first)).toBe(false);
      const logout = await graph.anonymous('mutation { logout }', undefined, withToken(first));
      expect(logout.data).toEqual({ logout: true });
      await waitFor(() => isRefused(first), 5_000, 'the logged-out token to be refused');
      expect(await isRefused(second)).toBe(false);
    });

    it('deactivating a user stops all their tokens and their logins', async () => {
      const token = await graph.login('lea.dubois');
      expect(await isRefused(token)).toBe(false);
      const deactivated = await graph.query(`mutation($id: ID!) { deactivateUser(id: $id) { isActive } }`, {
        id: user('lea.dubois').id,
      });
      expect(deactivated.data).toEqual({ deactivateUser: { isActive: false } });
      await waitFor(() => isRefused(token), 5_000, "the deactivated user's token to be refused");
      await expect(graph.login('lea.dubois')).rejects.toThrow(/login as lea.dubois failed/);
    });

    it('revokeUserTokens (admin) revokes every token of a user; a viewer may not', async () => {
      const token = await graph.login('manager');
      const denied = await graph.as('viewer')(`mutation($id: ID!) { revokeUserTokens(userId: $id) }`, {
        id: user('manager').id,
      });
      expect(errorCodesByPath(denied)).toEqual([[['revokeUserTokens'], 'PERMISSION_DENIED']]);
      expect(await isRefused(token)).toBe(false);
      const revoked = await graph.query(`mutation($id: ID!) { revokeUserTokens(userId: $id) }`, {
        id: user('manager').id,
      });
      expect((revoked.data as { revokeUserTokens: number }).revokeUserTokens).toBeGreaterThanOrEqual(1);
      await waitFor(() => isRefused(token), 5_000, 'the revoked token to be refused');
    });

    it('changing your own password keeps your session and ends the others', async () => {
      const created = dataOf(
        await graph.query<{ createUser: { id: string } }>(
          `mutation { createUser(input: { username: "pat.rotate", email: "pat@fleet.example", groups: ["viewer"], password: "first-password-1" }) { id } }`,
        ),
      ).createUser;
      const [mine, elsewhere] = [
        await graph.login('pat.rotate', 'first-password-1'),
        await graph.login('pat.rotate', 'first-password-1'),
      ];
      const changePassword = (input: string) =>
        graph.anonymous(
          `mutation($id: ID!) { updateUser(id: $id, input: ${input}) { id } }`,
          { id: created.id },
          withToken(mine),
        );
      // A stolen token alone cannot take the account over: the current password is needed.
      expect(errorCodesByPath(await changePassword('{ password: "stolen-password-9" }'))).toEqual([
        [['updateUser'], 'INVALID_ARGUMENT'],
      ]);
      expect(
        errorCodesByPath(await changePassword('{ password: "stolen-password-9", currentPassword: "a-wrong-guess" }')),
      ).toEqual([[['updateUser'], 'UNAUTHENTICATED']]);
      expect(await isRefused(elsewhere)).toBe(false);
      const change = await changePassword('{ password: "second-password-2", currentPassword: "first-password-1" }');
      expect(change.errors).toBeUndefined();
      await waitFor(() => isRefused(elsewhere), 5_000, 'the other session to end');
      expect(await isRefused(mine)).toBe(false);
      await expect(graph.login('pat.rotate', 'first-password-1')).rejects.toThrow();
      expect(await graph.login('pat.rotate', 'second-password-2')).toEqual(expect.any(String));
      const escalate = await graph.anonymous(
        `mutation($id: ID!) { updateUser(id: $id, input: { groups: ["admin"] }) { id } }`,
        { id: created.id },
        withToken(mine),
      );
      expect(errorCodesByPath(escalate)).toEqual([[['updateUser'], 'PERMISSION_DENIED']]);
      // An administrator resets it without knowing it.
      const reset = await graph.query(
        `mutation($id: ID!) { updateUser(id: $id, input: { password: "reset-by-admin-3" }) { id } }`,
        { id: created.id },
      );
      expect(reset.errors).toBeUndefined();
      expect(await graph.login('pat.rotate', 'reset-by-admin-3')).toEqual(expect.any(String));
    });
  });

  describe('per-field authorization', () => {
    it('an anonymous caller gets UNAUTHENTICATED on protected fields, and open ones still work', async () => {
      const response = await graph.anonymous(`{ car(id: "${randomUUID()}") { id } me { id } }`);
      expect(response.status).toBe(294);
      expect(response.data).toEqual({ car: null, me: null });
      expect(errorCodesByPath(response)).toEqual([
        [['car'], 'UNAUTHENTICATED'],
        [['me'], 'UNAUTHENTICATED'],
      ]);
    });

    it('a viewer calling createCar is PERMISSION_DENIED, and the car subgraph is never called', async () => {
      const before = carProxy.requests;
      const response = await graph.as('viewer')(
        `mutation($cc: ID!) { createCar(input: { brand: "Kia", model: "Ceed", costCenterId: $cc }) { id } }`,
        { cc: seedCostCenters[0]!.id },
      );
      // Mutations a caller may be refused are nullable: the denied one is null, not the whole response.
      expect(response.data).toEqual({ createCar: null });
      expect(response.errors?.[0]).toMatchObject({
        path: ['createCar'],
        extensions: { code: 'PERMISSION_DENIED', grpcStatus: 7, coordinate: 'Mutation.createCar' },
      });
      expect(carProxy.requests).toBe(before);
    });

    it("a viewer reading another user's email gets PERMISSION_DENIED on email only; the rest of the user is returned", async () => {
      const center = seedCostCenters[0]!;
      const manager = seedUsers.find((u) => u.id === center.managerId)!;
      const response = await graph.as('viewer')(
        `query($code: String) { costCenter(code: $code) { code manager { username email } } }`,
        {
          code: center.code,
        },
      );
      expect(response.data).toEqual({
        costCenter: { code: center.code, manager: { username: manager.username, email: null } },
      });
      expect(errorCodesByPath(response)).toEqual([[['costCenter', 'manager', 'email'], 'PERMISSION_DENIED']]);
      const own = await graph.as('viewer')('{ me { email } }');
      expect(own.data).toEqual({ me: { email: user('viewer').email } });
    });

    it('a fleet manager reads users and writes cars but not cost centers', async () => {
      const manager = graph.as('manager');
      expect((await manager('{ users(first: 1) { totalCount edges { node { email } } } }')).errors).toBeUndefined();
      const write = await manager(
        `mutation { updateCostCenter(id: "${seedCostCenters[0]!.id}", input: { societyName: "X" }) { id } }`,
      );
      expect(errorCodesByPath(write)).toEqual([[['updateCostCenter'], 'PERMISSION_DENIED']]);
    });
  });

  describe('subgraphs trust only the gateway', () => {
    const carUrl = () => graph.subgraphs.car.graphqlUrl;
    const body = JSON.stringify({ query: CARS });
    const admin = { ...ANONYMOUS, userId: user('admin').id, scopes: [...SCOPES] };

    // Some rows sign (a promise), one sends nothing (a plain object): the test awaits either.
    it.each<[string, () => object | Promise<object>]>([
      ['no signature', () => ({})],
      [
        'a signature made with another secret',
        () => signedPost(admin, carUrl(), body, { audience: 'car' }, Buffer.from('x'.repeat(64))),
      ],
      [
        'a signature for another body (tampered request)',
        () => signedPost(admin, carUrl(), JSON.stringify({ query: '{ __typename }' }), { audience: 'car' }),
      ],
      ['a signature made for another subgraph', () => signedPost(admin, carUrl(), body, { audience: 'user' })],
      [
        'a replayed signature, past its window',
        () => signedPost(admin, carUrl(), body, { audience: 'car', now: Date.now() - 60_000 }),
      ],
      [
        'a signature for another path',
        () => signedPost(admin, new URL('/graphql/other', carUrl()).href, body, { audience: 'car' }),
      ],
      [
        'an identity edited after signing',
        async () => {
          // The anonymous caller's signature, with the admin put into its claims afterwards.
          const [header, payload, signature] = (
            await signedPost({ ...ANONYMOUS }, carUrl(), body, { audience: 'car' })
          )[SIGNATURE_HEADER]!.split('.');
          const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
          return { [SIGNATURE_HEADER]: `${header}.${b64({ ...claims, caller: admin })}.${signature}` };
        },
      ],
    ])('a direct call with %s is refused with 401 UNAUTHENTICATED', async (_what, headers) => {
      const response = await postGraphQL(carUrl(), body, (await headers()) as Record<string, string>);
      expect(response.status).toBe(401);
      expect(response.data).toBeUndefined();
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', grpcStatus: 16 });
    });

    it('a correctly signed call works, and the subgraph enforces its own directives', async () => {
      const ok = await postGraphQL(carUrl(), body, await signedPost(admin, carUrl(), body, { audience: 'car' }));
      expect(ok.data).toEqual({ cars: { totalCount: expect.any(Number) } });
      const viewerBody = JSON.stringify({ query: `mutation { deleteCar(id: "${randomUUID()}") }` });
      const viewer = { ...ANONYMOUS, userId: user('viewer').id, scopes: ['car:read', 'cost-center:read'] };
      const denied = await postGraphQL(
        carUrl(),
        viewerBody,
        await signedPost(viewer, carUrl(), viewerBody, { audience: 'car' }),
      );
      expect(denied.errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');
    });

    it('a captured signed request is served once: replaying it within its window is refused', async () => {
      const create = JSON.stringify({
        query: `mutation { createCar(input: { brand: "Replay", model: "Once", costCenterId: "${seedCostCenters[0]!.id}" }) { id } }`,
      });
      const captured = await signedPost(admin, carUrl(), create, { audience: 'car' });
      const first = await postGraphQL(carUrl(), create, captured);
      expect(first.errors).toBeUndefined();
      for (let i = 0; i < 2; i++) {
        const replay = await postGraphQL(carUrl(), create, captured);
        expect(replay.status).toBe(401);
        expect(replay.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
      }
      const countBody = JSON.stringify({ query: '{ cars(filter: { brand: "Replay" }) { totalCount } }' });
      const count = await postGraphQL(
        carUrl(),
        countBody,
        await signedPost(admin, carUrl(), countBody, { audience: 'car' }),
      );
      expect(count.data).toEqual({ cars: { totalCount: 1 } });
    });

    it('health endpoints stay open', async () => {
      const health = await fetch(new URL('/health', carUrl()));
      expect(health.status).toBe(200);
    });

    it('identity headers sent by a client are ignored by the gateway', async () => {
      const spoofed = await signedPost(
        admin,
        carUrl(),
        JSON.stringify({ query: CARS }),
        { audience: 'car' },
        Buffer.from('guessed-secret-'.repeat(4)),
      );
      const response = await graph.anonymous(CARS, undefined, spoofed);
      expect(response.data).toEqual({ cars: null });
      expect(errorCodesByPath(response)).toEqual([[['cars'], 'UNAUTHENTICATED']]);
    });
  });

  it('answers CORS preflights for allowed browser origins only', async () => {
    const preflight = (origin: string) =>
      fetch(graph.gatewayUrl, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('https://studio.apollographql.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never writes passwords or tokens to the logs', async () => {
    const token = await graph.login('admin');
    await graph.anonymous('mutation { login(username: "admin", password: "not-the-password") { token } }');
    await graph.anonymous('{ me { id } }', undefined, withToken(token));
    await graph.anonymous(CARS, undefined, withToken(`${token}x`));
    const everything = `${logs.gateway.text()}\n${logs.subgraphs.text()}`;
    expect(everything.length).toBeGreaterThan(0);
    for (const secret of [TEST_SEED_PASSWORD, 'not-the-password', token, token.split('.')[2]!, 'scrypt$']) {
      expect(everything).not.toContain(secret);
    }
  });
});
