import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../ceremonies/validation';

/** Where Temporal is and how to reach it. Local default: the embedded dev server; a remote
 * cluster or Temporal Cloud takes mTLS files or an API key. */
export const TemporalConfigSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('hsm-ceremonies'),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  CEREMONY_DATA_DIR: z.string().default('.data'),
  CEREMONY_INVENTORY: z.string().default('config/inventory.yaml'),
  CEREMONY_PACKAGES_DIR: z.string().default('.data/packages'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_SECURE: z.enum(['true', 'false']).default('false'),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  MAIL_FROM: z.string().default('HSM ceremonies <ceremonies@localhost>'),
  /** Payload encryption keys, `kid:base64(32 bytes)`; unset = payloads in clear. */
  CEREMONY_PAYLOAD_KEYS: z.string().optional(),
  /** Base URL of the web app, for the links in mails. */
  CEREMONY_PUBLIC_URL: z.string().url().default('http://127.0.0.1:8080'),
}).refine((c) => Boolean(c.TEMPORAL_TLS_CERT) === Boolean(c.TEMPORAL_TLS_KEY), {
  message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS)',
  path: ['TEMPORAL_TLS_KEY'],
});

export type AppConfig = z.infer<typeof TemporalConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return parseOrThrow(TemporalConfigSchema, env, 'environment');
}

/** Connection options shared by the client (`@temporalio/client`) and the worker (`NativeConnection`). */
export function connectionOptions(config: AppConfig) {
  const mtls = config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY;
  const tlsWanted = mtls || config.TEMPORAL_API_KEY || config.TEMPORAL_TLS === 'true';
  const tls = tlsWanted
    ? {
        serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME,
        serverRootCACertificate: config.TEMPORAL_TLS_CA ? readFileSync(config.TEMPORAL_TLS_CA) : undefined,
        clientCertPair: mtls ? { crt: readFileSync(config.TEMPORAL_TLS_CERT!), key: readFileSync(config.TEMPORAL_TLS_KEY!) } : undefined,
      }
    : undefined;
  return { address: config.TEMPORAL_ADDRESS, tls, apiKey: config.TEMPORAL_API_KEY };
}

export function dataPath(config: AppConfig, ...parts: string[]): string {
  return resolve(config.CEREMONY_DATA_DIR, ...parts);
}
