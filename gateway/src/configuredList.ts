import type { z } from 'zod';
import { readEnv } from '@car-check/service-kit';

/** What any entry's configuration may depend on besides its own variables. */
export interface SharedSettings {
  production: boolean;
}

/**
 * An entry of one of the gateway's ordered lists (a request stage, a client
 * layer): the environment variables it owns, how it reads them, and what it
 * builds from its configuration.
 */
export interface Configured<Config extends object, Built, Services> {
  readonly name: string;
  /** Its environment variables (zod), composed into the gateway's (config.ts). */
  readonly env: z.ZodRawShape;
  readConfig(env: NodeJS.ProcessEnv, shared: SharedSettings): Config;
  create(config: Config, services: Services): Built;
}

/** An entry's variables, and how they become its configuration. */
export interface ConfigSpec<Env extends z.ZodRawShape, Config extends object> {
  name: string;
  env: Env;
  configure: (values: z.infer<z.ZodObject<Env>>, shared: SharedSettings) => Config;
}

/** Reads an entry's own variables (they were checked with every other variable first, see config.ts). */
export function configReader<Env extends z.ZodRawShape, Config extends object>(spec: ConfigSpec<Env, Config>) {
  return (env: NodeJS.ProcessEnv, shared: SharedSettings): Config => spec.configure(readEnv(spec.env, env), shared);
}

/** An entry placed in a list whose whole configuration is `Config`. */
interface Placed<Config, Built, Services> {
  readonly name: string;
  readonly env: z.ZodRawShape;
  create(config: Config, services: Services): Built;
}

/**
 * An ordered list of entries, and their configuration: the intersection of
 * every entry's, which joins GatewayConfig (config.ts first checks every
 * variable at once, so that one message names every problem).
 */
export class ConfiguredList<Config extends object, Built, Services> {
  private constructor(
    readonly entries: readonly Placed<Config, Built, Services>[],
    private readonly read: (env: NodeJS.ProcessEnv, shared: SharedSettings) => Config,
  ) {}

  static empty<Built, Services>(): ConfiguredList<Record<never, never>, Built, Services> {
    return new ConfiguredList<Record<never, never>, Built, Services>([], () => ({}));
  }

  /** This list with `entry` after the others. */
  add<Own extends object>(entry: Configured<Own, Built, Services>): ConfiguredList<Config & Own, Built, Services> {
    if (this.entries.some((placed) => placed.name === entry.name))
      throw new Error(`two entries are named ${entry.name}`);
    return new ConfiguredList<Config & Own, Built, Services>([...this.entries, entry], (env, shared) => ({
      ...this.read(env, shared),
      ...entry.readConfig(env, shared),
    }));
  }

  /** Every entry's variables (a variable two entries share is the same schema). */
  get env(): z.ZodRawShape {
    return this.entries.reduce<z.ZodRawShape>((shape, entry) => ({ ...shape, ...entry.env }), {});
  }

  readConfig(env: NodeJS.ProcessEnv, shared: SharedSettings): Config {
    return this.read(env, shared);
  }

  create(config: Config, services: Services): Built[] {
    return this.entries.map((entry) => entry.create(config, services));
  }
}
