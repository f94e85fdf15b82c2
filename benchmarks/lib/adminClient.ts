import { SEED_PASSWORD } from '../graph/graph';

/** A GraphQL client of a benchmark's gateway, signed in as the seeded admin (call `login` first). */
export class AdminClient {
  private token = '';
  constructor(private readonly url: string) {}

  async login(): Promise<void> {
    const data = await this.send<{ login: { token: string } }>(
      `mutation { login(username: "admin", password: "${SEED_PASSWORD}") { token } }`,
    );
    this.token = data.login.token;
  }

  /** The answer's data; any error (or no data) throws, with the answer in the message. */
  async send<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors?.length || !body.data)
      throw new Error(`GraphQL: HTTP ${response.status} ${JSON.stringify(body.errors ?? body)}`);
    return body.data;
  }
}
