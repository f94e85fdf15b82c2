import { z } from 'zod';
import { flag, httpUrl, readEnv } from '../config/env';

/** The samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export type SamplerName = (typeof SAMPLERS)[number];

/** How a process traces, read once from the environment. */
export interface TracingSettings {
  /** `OTEL_SDK_DISABLED=true`: no tracing at all (no spans, no trace ids in logs or errors). */
  disabled: boolean;
  /** Where spans are sent (OTLP over HTTP, the full `/v1/traces` URL); null: nothing is exported. */
  tracesUrl: string | null;
  /** `OTEL_SERVICE_NAME`: replaces the service's own name in the exported resource. */
  serviceName: string | null;
  sampler: SamplerName;
  /** The ratio of the `*traceidratio` samplers, 0 to 1. */
  samplerRatio: number;
}

/**
 * Reads the tracing variables (the OpenTelemetry SDK's own names) and
 * validates them, so a typo fails the start-up with a message naming the
 * variable, like every other setting.
 *
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: the full URL spans are POSTed to, or
 * - `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL (`/v1/traces` is appended);
 *   with neither, spans are not recorded at all (trace ids still flow).
 */
export function tracingSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TracingSettings {
  const read = readEnv(
    {
      OTEL_SDK_DISABLED: flag(false),
      OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl().optional(),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl().optional(),
      OTEL_SERVICE_NAME: z
        .string()
        .max(255)
        .regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'must be printable ASCII')
        .optional(),
      OTEL_TRACES_SAMPLER: z
        .enum(SAMPLERS, { error: `must be one of ${SAMPLERS.join(', ')}` })
        .default('parentbased_always_on'),
      OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
    },
    env,
  );
  return {
    disabled: read.OTEL_SDK_DISABLED,
    tracesUrl:
      read.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      (read.OTEL_EXPORTER_OTLP_ENDPOINT ? tracesUrlOf(read.OTEL_EXPORTER_OTLP_ENDPOINT) : null),
    serviceName: read.OTEL_SERVICE_NAME ?? null,
    sampler: read.OTEL_TRACES_SAMPLER,
    samplerRatio: read.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}

/** The signal URL for a base endpoint, as the specification builds it: `<base>/v1/traces`. */
export function tracesUrlOf(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
