import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../ceremonies/validation';
import { SecretRefSchema, type SecretRef } from '../ceremonies/secret-ref';

// Every environment variable the project reads, by group. `loadConfig` parses them; the rest of
// the code takes what it needs from its result. `ceremony --help` and docs/production.md's table list
// them from ENVIRONMENT below.

/** The sample inventory: the simulated devices are made from it. */
export const SAMPLE_INVENTORY = 'config/inventory.yaml';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const flag = z.enum(['true', 'false']);
const optional = (description: string) => z.string().optional().describe(description);

const temporal = {
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233').describe('Temporal frontend host:port'),
  TEMPORAL_NAMESPACE: z.string().default('default').describe('namespace'),
  TEMPORAL_TASK_QUEUE: z.string().default('hsm-ceremonies').describe('task queue; run more workers on it to scale out'),
  TEMPORAL_TLS_CERT: optional('mTLS client certificate file (with TEMPORAL_TLS_KEY)'),
  TEMPORAL_TLS_KEY: optional('mTLS client key file (with TEMPORAL_TLS_CERT)'),
  TEMPORAL_TLS_CA: optional("the server's CA certificate file"),
  TEMPORAL_TLS_SERVER_NAME: optional('TLS server name (SNI) override'),
  TEMPORAL_TLS: flag.optional().describe('`true`: TLS without a client certificate'),
  TEMPORAL_API_KEY: optional('API key (Temporal Cloud); implies TLS'),
  CEREMONY_WORKFLOW_BUNDLE: optional(
    'a prebuilt workflow bundle for the worker and `audit verify`; unset = bundled at start',
  ),
};

/** `host:port` a metrics endpoint binds, or `off`. */
const bindAddress = (fallback: string) =>
  z
    .string()
    .regex(
      /^(off|[A-Za-z0-9.-]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5})$/,
      'expected host:port (e.g. 127.0.0.1:9464) or off',
    )
    .default(fallback);

const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const worker = {
  WORKER_MAX_CACHED_WORKFLOWS: count(500, 100_000).describe(
    'running ceremonies the worker keeps in memory (about a quarter of a MiB each: docs/production.md); the others are replayed from their history when they next move',
  ),
  WORKER_MAX_CONCURRENT_ACTIVITIES: count(200, 10_000).describe(
    'activities the worker runs at once (device steps mostly wait on the device); more wait on the server',
  ),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: count(100, 10_000).describe(
    'local activities (short read-only steps) the worker runs at once; more wait in the worker',
  ),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count(40, 10_000).describe(
    'workflow tasks the worker runs at once; more wait on the server',
  ),
  WORKER_HEAP_MIB: count(256, 65_536).describe(
    "the old-generation limit in MiB of each of the worker process's two JavaScript heaps (its main thread's and its workflow thread's, which holds the cached ceremonies: `node --max-old-space-size`); the process's memory is about twice this at most, plus the Temporal core's",
  ),
  WORKER_YOUNG_GENERATION_MIB: count(2, 256).describe(
    "the size in MiB of each semi-space of the worker's young generations (`node --max-semi-space-size`): small keeps the worker's resident memory close to what it uses, at the cost of more frequent minor collections",
  ),
  WORKER_MALLOC_ARENAS: count(4, 64).describe(
    "glibc malloc arenas of the worker process (`MALLOC_ARENA_MAX`, set by the launchers: `npm start`, the benches and drills): the Temporal core's threads otherwise each grow an arena of their own",
  ),
  WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: count(10, 3600).describe(
    'how long the server waits for this worker to take a cached ceremony\'s next task before giving it to any worker (which replays it); longer also delays the tasks of ceremonies evicted from a full cache, so a burst larger than the cache stalls (bench/README.md, "Memory under a burst")',
  ),
  WORKER_METRICS_ADDRESS: bindAddress('127.0.0.1:9464').describe(
    "host:port of the worker's Prometheus endpoint (`/metrics`: the Temporal SDK's own metrics), or `off`",
  ),
  WORKER_NTLS_METRICS_ADDRESS: bindAddress('off').describe(
    "host:port where the worker serves `/metrics` with each unit's NTLS server certificate expiry (hsm_ntls_certificate_expiry_seconds), or `off`",
  ),
  WORKER_NTLS_METRICS_REFRESH_SECONDS: count(3600, 7 * 86_400).describe(
    'how old the certificate expiry figures may be before a scrape reads the appliances again',
  ),
  WORKER_STACK_TRACES: flag
    .default('false')
    .describe(
      "`true`: the SDK records every workflow promise's stack, for the Temporal UI's Stack Trace view of a live ceremony (the `__stack_trace` query): about a quarter of the workflow thread's CPU. Off, that view answers that stack traces are not enabled; nothing else changes",
    ),
  WORKER_LOCAL_READS: flag
    .default('true')
    .describe(
      '`true`: short read-only steps (probes, checks) run as local activities, in the workflow task, without a round trip through the Temporal server; `false`: every step is an activity',
    ),
  WORKER_SSH_IDLE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(60)
    .describe('how long a logged-in appliance session is kept for the next device step (0: every step logs in anew)'),
};

const storage = {
  CEREMONY_DATA_DIR: z.string().default('.data').describe("ledger and outbox files (and the local stack's state)"),
  CEREMONY_INVENTORY: z
    .string()
    .default(SAMPLE_INVENTORY)
    .describe(
      'inventory YAML: HSMs, approvers, policy, keys (worker, web app, CLI); while it is the sample, `npm start` simulates the devices',
    ),
  CEREMONY_PACKAGES_DIR: z.string().default('.data/packages').describe('firmware update packages the worker uploads'),
};

const mail = {
  SMTP_HOST: optional('mail server; unset = notifications are only logged (outbox)'),
  SMTP_PORT: port(587).describe('mail server port'),
  SMTP_SECURE: flag.default('false').describe('`true`: TLS from the start (port 465)'),
  SMTP_USER: optional('mail server login'),
  SMTP_PASSWORD: optional('mail server password'),
  MAIL_FROM: z.string().default('HSM ceremonies <ceremonies@localhost>').describe('sender of the mails'),
};

const web = {
  WEB_PORT: port(8080).describe('port the web app listens on (127.0.0.1)'),
  // without a value, derived from WEB_PORT (below)
  CEREMONY_PUBLIC_URL: z.string().url().optional().meta({
    description: 'base URL of the web app, for the links in mails; https makes its cookie Secure and adds HSTS',
    default: 'http://127.0.0.1:$WEB_PORT',
  }),
  TEMPORAL_UI_URL: z
    .string()
    .url()
    .optional()
    .describe('Temporal Web UI: linked from the dashboard; its origin may call the codec endpoint (CORS)'),
  WEB_METRICS_ADDRESS: bindAddress('127.0.0.1:9465').describe(
    'host:port where the web app serves `/metrics` (ceremony metrics, Prometheus), apart from its public port; or `off`',
  ),
};

const keys = {
  CEREMONY_LINK_KEYS: optional('approval link keys `kid:base64,…` (the first signs, all verify); web app and worker'),
  CEREMONY_LINK_KEYS_FILE: optional('a file holding the link keys, when CEREMONY_LINK_KEYS is unset'),
  CEREMONY_ATTESTATION_KEY: optional(
    "the web app's Ed25519 private key (PEM file, or a `file:`/`env:` reference); the web app needs it",
  ),
  CEREMONY_PAYLOAD_KEYS: optional(
    'payload encryption keys `kid:base64(32 bytes),…` (the first encrypts); unset = payloads in clear',
  ),
  CEREMONY_SIGNING_KEY: optional('your Ed25519 private key for `ceremony approve|reject|signoff` (their --key)'),
};

const signIn = {
  OIDC_ISSUER: z
    .string()
    .url()
    .optional()
    .describe(
      "OpenID Connect provider's issuer URL (Entra ID: `https://login.microsoftonline.com/<tenant>/v2.0`); set = operators and approvers sign in through it and the password login is off",
    ),
  OIDC_CLIENT_ID: optional("the web app's client (application) id at the provider"),
  // a reference as the inventory writes one, never the secret itself
  OIDC_CLIENT_SECRET: SecretRefSchema.optional().describe(
    'the client secret, as a reference: `env:NAME`, `file:/path` or `keyvault:<vault>/<secret>`',
  ),
  OIDC_REDIRECT_URL: z.string().url().optional().meta({
    description: 'where the provider sends the browser back: the redirect URI registered for the app',
    default: '$CEREMONY_PUBLIC_URL/auth/callback',
  }),
  OIDC_IDENTITY_CLAIM: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, 'expected a claim name, e.g. email or preferred_username')
    .default('email')
    .describe(
      "the id token claim that names the person, matched (case-insensitively) against the inventory's emails: `email` or `preferred_username`",
    ),
  OIDC_SCOPES: z
    .string()
    .regex(/^openid( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'expected scopes separated by spaces, starting with openid')
    .default('openid email profile')
    .describe('the scopes asked for (space-separated, `openid` first)'),
};

const tickets = {
  TICKET_WEBHOOK_SECRET_JIRA: optional('shared secret of the Jira webhook; unset = it answers 503'),
  TICKET_WEBHOOK_SECRET_SERVICENOW: optional('shared secret of the ServiceNow webhook; unset = it answers 503'),
  TICKET_WEBHOOK_SECRET_GENERIC: optional('shared secret of the generic webhook; unset = it answers 503'),
  JIRA_BASE_URL: optional('Jira, for progress comments (with JIRA_USER and JIRA_API_TOKEN)'),
  JIRA_USER: optional('Jira user'),
  JIRA_API_TOKEN: optional('Jira API token'),
  SERVICENOW_URL: optional('ServiceNow, for work notes (with SERVICENOW_USER and SERVICENOW_PASSWORD)'),
  SERVICENOW_USER: optional('ServiceNow user'),
  SERVICENOW_PASSWORD: optional('ServiceNow password'),
  TICKET_GENERIC_URL: optional('generic ticket API: GET/POST {url}/tickets/{key}/comments'),
  TICKET_GENERIC_TOKEN: optional('bearer token for the generic ticket API'),
};

const azure = {
  AZURE_RESOURCE_MANAGER_ENDPOINT: optional('ARM endpoint; unset = management.azure.com'),
  AZURE_CA_FILE: optional('an extra CA certificate (PEM) to trust for ARM and Key Vault'),
  AZURE_KEYVAULT_URL: z
    .string()
    .regex(
      /^https:\/\/[^\s]*\{vault\}[^\s]*$/,
      'expected an https URL template with {vault}, e.g. https://{vault}.vault.azure.net',
    )
    .default('https://{vault}.vault.azure.net')
    .describe(
      'the vault of a `keyvault:<vault>/<secret>` secret reference: `{vault}` is its name (sovereign clouds: e.g. `https://{vault}.vault.azure.cn`)',
    ),
};

const audit = {
  CEREMONY_AUDIT_SIGNING_KEY_FILE: optional(
    'Ed25519 private key that signs export manifests (`audit export --signing-key`)',
  ),
  CEREMONY_AUDIT_PUBLIC_KEY_FILE: optional('the public key that checks them (`audit verify|report --public-key`)'),
};

const logging = {
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error'])
    .default('info')
    .describe('trace, debug, info, warn or error'),
  LOG_FORMAT: z
    .enum(['json', 'pretty'])
    .default('json')
    .describe('`json`: one JSON object a line (pino), to ship; `pretty`: coloured lines for people'),
};

// The standard OpenTelemetry variables this project honours (off unless they ask for traces).
const otlpUrl = z
  .string()
  .url()
  .regex(/^https?:\/\//, 'expected an http:// or https:// URL (OTLP over HTTP)')
  .optional();
const tracing = {
  OTEL_SDK_DISABLED: flag.default('false').describe('`true`: no traces, whatever the variables below say'),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'])
    .optional()
    .describe(
      '`otlp`: send traces over OTLP/HTTP (JSON) to the endpoint below, or localhost:4318 without one; `none`: no traces; unset: traces only when an endpoint is set',
    ),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.describe(
    'OTLP/HTTP base URL of a collector; traces go to its `/v1/traces`; setting it turns traces on',
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.describe(
    'the full URL traces are sent to (wins over OTEL_EXPORTER_OTLP_ENDPOINT); setting it turns traces on',
  ),
  OTEL_SERVICE_NAME: optional(
    'service.name of the spans; unset = `hsm-ceremonies-worker`, `hsm-ceremonies-web` or `hsm-ceremonies-cli`',
  ),
};

const localStack = {
  TEMPORAL_PORT: port(7233).describe('`npm start`: Temporal dev server port'),
  TEMPORAL_UI_PORT: port(8233).describe('`npm start`: Temporal Web UI port'),
  MAIL_SMTP_PORT: port(2525).describe("`npm start`: the local SMTP server's port"),
  MAIL_INBOX_PORT: port(8025).describe("`npm start`: its inbox page's port"),
  OIDC_STAND_IN_PORT: port(8091).describe(
    '`npm start`: port of the local OpenID Connect provider standing in for Entra ID (when OIDC_ISSUER is unset)',
  ),
  TEMPORAL_CLI: optional('the Temporal CLI; unset = what scripts/ensure-temporal.sh finds'),
  CEREMONY_SAMPLE_INVENTORY: z
    .string()
    .default(SAMPLE_INVENTORY)
    .describe('`npm run sim`: the inventory the simulated devices are made from'),
  DEMO_HSM: z.string().default('hsm-weu-1').describe('`npm run demo`: the HSM it runs on'),
  BENCH_FLEET_SIZES: z
    .string()
    .regex(/^(\d+(,\d+)*)?$/, 'expected numbers separated by commas (empty: none)')
    .default('100,500,1000')
    .describe('`npm run bench`: fleet sizes of the paced run (released at BENCH_FLEET_RELEASE_PER_SECOND)'),
  BENCH_FLEET_BURST_SIZES: z
    .string()
    .regex(/^(\d+(,\d+)*)?$/, 'expected numbers separated by commas (empty: none)')
    .default('500,1000')
    .describe('`npm run bench`: fleet sizes of the burst (all approvals sent at once), each beside the floor'),
  BENCH_REPLAY_CORPUS_COPIES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(16)
    .describe('`npm run bench`: how many copies of the replay corpus the CLI replay verifies in one run'),
  BENCH_FLEET_RELEASE_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe('`npm run bench`: gated ceremonies the fleet bench releases per second'),
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium').describe('the browser of the browser tests'),
};

const GROUPS = {
  Temporal: temporal,
  Worker: worker,
  Storage: storage,
  Mail: mail,
  Web: web,
  'Links and keys': keys,
  'Sign-in': signIn,
  Tickets: tickets,
  Azure: azure,
  Audit: audit,
  Logging: logging,
  Tracing: tracing,
  'Local stack': localStack,
};

/** Read by libraries, not by this code: listed beside their group, not parsed. */
const READ_BY_LIBRARIES: Partial<Record<keyof typeof GROUPS, Record<string, string>>> = {
  Azure: {
    AZURE_TENANT_ID: 'service principal tenant (read by @azure/identity, as the next two)',
    AZURE_CLIENT_ID: 'service principal client id',
    AZURE_CLIENT_SECRET: 'service principal secret',
  },
  Tracing: {
    OTEL_EXPORTER_OTLP_HEADERS:
      'headers sent with each export, `key=value,…` (read by the OTLP exporter, as OTEL_EXPORTER_OTLP_TRACES_HEADERS and OTEL_EXPORTER_OTLP_TIMEOUT)',
    OTEL_TRACES_SAMPLER: 'sampler (read by the trace SDK, with OTEL_TRACES_SAMPLER_ARG); unset = every trace',
  },
};

export const ConfigSchema = z
  .object({
    ...temporal,
    ...worker,
    ...storage,
    ...mail,
    ...web,
    ...keys,
    ...signIn,
    ...tickets,
    ...azure,
    ...audit,
    ...logging,
    ...tracing,
    ...localStack,
  })
  .refine((c) => Boolean(c.TEMPORAL_TLS_CERT) === Boolean(c.TEMPORAL_TLS_KEY), {
    message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS)',
    path: ['TEMPORAL_TLS_KEY'],
  })
  .superRefine((c, ctx) => {
    const given = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL'] as const).filter((k) => c[k]);
    if (!c.OIDC_ISSUER) {
      for (const k of given) ctx.addIssue({ code: 'custom', path: [k], message: `${k} needs OIDC_ISSUER` });
      return;
    }
    for (const k of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const)
      if (!c[k]) ctx.addIssue({ code: 'custom', path: [k], message: `OIDC_ISSUER is set: ${k} is required too` });
    for (const k of ['OIDC_ISSUER', 'OIDC_REDIRECT_URL'] as const) {
      const url = c[k] === undefined ? undefined : new URL(c[k]);
      if (url && url.protocol !== 'https:' && !LOOPBACK.has(url.hostname))
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: 'expected an https URL (http only on 127.0.0.1 or localhost)',
        });
    }
  })
  .transform((c) => ({ ...c, CEREMONY_PUBLIC_URL: c.CEREMONY_PUBLIC_URL ?? `http://127.0.0.1:${c.WEB_PORT}` }));

/** Hosts where plain http is acceptable (the local stand-ins). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export type AppConfig = z.infer<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return parseOrThrow(ConfigSchema, env, 'environment');
}

export interface EnvironmentVariable {
  name: string;
  group: string;
  default?: string;
  description: string;
}

function documented(name: string, group: string, schema: z.ZodType): EnvironmentVariable {
  const meta = schema.meta() as { description?: string; default?: string } | undefined;
  const fallback = schema instanceof z.ZodDefault ? String(schema.def.defaultValue) : meta?.default;
  if (!meta?.description) throw new Error(`${name} has no description`);
  return { name, group, ...(fallback === undefined ? {} : { default: fallback }), description: meta.description };
}

/** Every variable, in its group, with its default and what it is for. */
export const ENVIRONMENT: readonly EnvironmentVariable[] = Object.entries(GROUPS).flatMap(([group, shape]) => [
  ...Object.entries(shape as Record<string, z.ZodType>).map(([name, schema]) => documented(name, group, schema)),
  ...Object.entries(READ_BY_LIBRARIES[group as keyof typeof GROUPS] ?? {}).map(([name, description]) => ({
    name,
    group,
    description,
  })),
]);

/** Connection options shared by the client (`@temporalio/client`) and the worker (`NativeConnection`). */
export function connectionOptions(config: AppConfig) {
  const mtls = config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY;
  const tlsWanted = mtls || config.TEMPORAL_API_KEY || config.TEMPORAL_TLS === 'true';
  const tls = tlsWanted
    ? {
        serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME,
        serverRootCACertificate: config.TEMPORAL_TLS_CA ? readFileSync(config.TEMPORAL_TLS_CA) : undefined,
        clientCertPair: mtls
          ? { crt: readFileSync(config.TEMPORAL_TLS_CERT!), key: readFileSync(config.TEMPORAL_TLS_KEY!) }
          : undefined,
      }
    : undefined;
  return { address: config.TEMPORAL_ADDRESS, tls, apiKey: config.TEMPORAL_API_KEY };
}

/** Where traces go, or undefined: traces are off (the default). */
export function tracesEndpoint(config: AppConfig): string | undefined {
  if (config.OTEL_SDK_DISABLED === 'true' || config.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const endpoint = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base && `${base}/v1/traces`);
  if (endpoint) return endpoint;
  return config.OTEL_TRACES_EXPORTER === 'otlp' ? 'http://localhost:4318/v1/traces' : undefined;
}

export function dataPath(config: AppConfig, ...parts: string[]): string {
  return resolve(config.CEREMONY_DATA_DIR, ...parts);
}

/** The OpenID Connect sign-in the web app uses, or undefined (then the password login of the
 * inventory's operatorLogins). The secret stays a reference until the web app resolves it. */
export interface SignInSettings {
  issuer: URL;
  clientId: string;
  clientSecretRef: SecretRef;
  redirectUrl: URL;
  identityClaim: string;
  scopes: string;
}

/** The web app's route the provider sends a browser back to after a sign-in. */
export const SIGN_IN_CALLBACK_PATH = '/auth/callback';

/** Where the provider sends the browser back: OIDC_REDIRECT_URL, else the web app's callback route
 * at its public URL. */
export function signInRedirectUrl(config: AppConfig): URL {
  return new URL(config.OIDC_REDIRECT_URL ?? new URL(SIGN_IN_CALLBACK_PATH, config.CEREMONY_PUBLIC_URL).href);
}

export function signInSettings(config: AppConfig): SignInSettings | undefined {
  if (!config.OIDC_ISSUER || !config.OIDC_CLIENT_ID || !config.OIDC_CLIENT_SECRET) return undefined;
  return {
    issuer: new URL(config.OIDC_ISSUER),
    clientId: config.OIDC_CLIENT_ID,
    clientSecretRef: config.OIDC_CLIENT_SECRET,
    redirectUrl: signInRedirectUrl(config),
    identityClaim: config.OIDC_IDENTITY_CLAIM,
    scopes: config.OIDC_SCOPES,
  };
}
