#!/usr/bin/env node
// `npm start`: the embedded local stack. Temporal dev server (SQLite under .data/, survives
// restarts) + worker + web server, with one Ctrl-C to stop them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { newLinkKeyEntry } from '../ceremonies/approval-links';
import { startMailCatcher } from '../simulator/mail-catcher';
import { inventoryPeople, startOidcStandIn } from '../simulator/oidc-stand-in';
import { loadInventory } from '../ceremonies/inventory';
import { ATTESTATION_KEY_NAME, ensureLocalKey, localKeyFile } from '../simulator/local-keys';
import { CEREMONY_SEARCH_ATTRIBUTES } from '../contract/search-attributes';
import { loadConfig, SAMPLE_INVENTORY, signInRedirectUrl } from '../runtime/config';
import { devServerDynamicConfigArgs } from '../runtime/dev-server';
import { workerNodeFlags, workerProcessEnv } from '../worker/node-options';

const root = resolve(__dirname, '..', '..');
let stopMailCatcher: (() => Promise<void>) | undefined;
let stopOidcStandIn: (() => Promise<void>) | undefined;

const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

function log(message: string): void {
  console.log(`[stack] ${message}`);
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function launch(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; logFile?: string } = {},
): ChildProcess {
  const output = options.logFile ? openSync(options.logFile, 'a') : 'inherit';
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', output, output],
  });
  children.push({ name, child });
  child.once('error', (err) => {
    if (stopping) return;
    log(`${name} could not start (${err.message}); stopping the stack`);
    void stop(1);
  });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    log(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the stack`);
    void stop(1);
  });
  return child;
}

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  // worker and web first, so in-flight tasks finish while the server is still up
  for (const { name, child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise<boolean>((r) => child.once('exit', () => r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(false), 15_000)),
    ]);
    if (!exited) {
      log(`${name} did not stop in 15 s; killing it`);
      child.kill('SIGKILL');
    }
  }
  await stopMailCatcher?.();
  await stopOidcStandIn?.();
  log('stopped');
  process.exit(code);
}

async function waitForTemporal(address: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2s' });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > until)
        throw new Error(`Temporal dev server did not come up on ${address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(path)) throw new Error(`the simulator did not write ${path}`);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  const config = loadConfig();
  const dataDir = resolve(root, config.CEREMONY_DATA_DIR);
  const {
    TEMPORAL_PORT: temporalPort,
    TEMPORAL_UI_PORT: uiPort,
    WEB_PORT: webPort,
    MAIL_SMTP_PORT: smtpPort,
    MAIL_INBOX_PORT: inboxPort,
    OIDC_STAND_IN_PORT: oidcPort,
  } = config;
  const address = `127.0.0.1:${temporalPort}`;
  for (const [what, port] of [
    ['Temporal', temporalPort],
    ['Temporal UI', uiPort],
    ['web', webPort],
    ['mail SMTP', smtpPort],
    ['mail inbox', inboxPort],
    ...(config.OIDC_ISSUER ? [] : ([['OpenID Connect stand-in', oidcPort]] as const)),
  ] as const) {
    if (await portInUse(port)) {
      throw new Error(
        `port ${port} (${what}) is already in use on 127.0.0.1: is another \`npm start\` running? Set TEMPORAL_PORT / TEMPORAL_UI_PORT / WEB_PORT to use others.`,
      );
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const serverLog = join(dataDir, 'temporal-server.log');
  log(`starting the Temporal dev server (state in ${join(dataDir, 'temporal.db')}, log in ${serverLog})`);
  launch(
    'temporal',
    config.TEMPORAL_CLI ?? 'temporal',
    [
      'server',
      'start-dev',
      '--db-filename',
      join(dataDir, 'temporal.db'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(temporalPort),
      '--ui-port',
      String(uiPort),
      '--log-level',
      'warn',
      ...CEREMONY_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
      ...devServerDynamicConfigArgs(),
    ],
    { logFile: serverLog },
  );
  await waitForTemporal(address);

  // Simulated appliances + backup device, unless CEREMONY_INVENTORY points at real ones (the
  // default, the sample inventory, is what the simulated ones are made from)
  const simulated = config.CEREMONY_INVENTORY === SAMPLE_INVENTORY;
  let inventory = config.CEREMONY_INVENTORY;
  let azureEnv: Record<string, string> = {};
  if (simulated) {
    inventory = join(dataDir, 'sim', 'inventory.yaml');
    rmSync(inventory, { force: true });
    log('starting the simulated Luna appliances, the on-prem backup device and the Azure ARM stand-in');
    launch('simulator', process.execPath, [join(root, 'dist/simulator/main.js'), 'start'], {
      env: { CEREMONY_DATA_DIR: dataDir },
    });
    await waitForFile(inventory);
    azureEnv = JSON.parse(readFileSync(join(dataDir, 'sim', 'azure.env.json'), 'utf8')) as Record<string, string>;
  }

  // approval mails: our SMTP catcher unless SMTP_HOST points at a real server
  let mailEnv: Record<string, string> = {};
  let inboxUrl = '(SMTP_HOST is set: your mail server)';
  if (!config.SMTP_HOST) {
    const catcher = await startMailCatcher({ smtpPort, httpPort: inboxPort });
    stopMailCatcher = () => catcher.close();
    inboxUrl = catcher.inboxUrl!;
    mailEnv = { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(catcher.smtpPort), SMTP_SECURE: 'false' };
  }
  const linkKeysFile = join(dataDir, 'link-keys');
  const linkKeysGiven = Boolean(config.CEREMONY_LINK_KEYS || config.CEREMONY_LINK_KEYS_FILE);
  if (!linkKeysGiven && !existsSync(linkKeysFile)) {
    writeFileSync(linkKeysFile, `${newLinkKeyEntry()}\n`, { mode: 0o600 });
  }

  // sign-in: a local OpenID Connect provider standing in for Entra ID, unless OIDC_ISSUER names one
  let signInEnv: Record<string, string> = {};
  let signInUrl = '(OIDC_ISSUER is set: your provider)';
  if (!config.OIDC_ISSUER) {
    const redirectUrl = signInRedirectUrl(config).href;
    const standIn = await startOidcStandIn({
      people: inventoryPeople(loadInventory(inventory)),
      redirectUrl,
      postLogoutRedirectUrl: new URL('/', config.CEREMONY_PUBLIC_URL).href,
      port: oidcPort,
    });
    stopOidcStandIn = () => standIn.close();
    signInUrl = standIn.issuer;
    const secretFile = join(dataDir, 'oidc-client-secret');
    writeFileSync(secretFile, `${standIn.clientSecret}\n`, { mode: 0o600 });
    signInEnv = {
      OIDC_ISSUER: standIn.issuer,
      OIDC_CLIENT_ID: standIn.clientId,
      OIDC_CLIENT_SECRET: `file:${secretFile}`,
      OIDC_REDIRECT_URL: redirectUrl,
    };
  }

  // the web app's attestation key (its public key is in the simulator's inventory)
  ensureLocalKey(dataDir, ATTESTATION_KEY_NAME);

  const env = {
    ...azureEnv,
    CEREMONY_ATTESTATION_KEY: config.CEREMONY_ATTESTATION_KEY ?? localKeyFile(dataDir, ATTESTATION_KEY_NAME),
    ...mailEnv,
    ...signInEnv,
    ...(linkKeysGiven ? {} : { CEREMONY_LINK_KEYS_FILE: linkKeysFile }),
    CEREMONY_PUBLIC_URL: config.CEREMONY_PUBLIC_URL,
    CEREMONY_PACKAGES_DIR: join(dataDir, 'packages'),
    TEMPORAL_ADDRESS: address,
    CEREMONY_DATA_DIR: dataDir,
    CEREMONY_INVENTORY: inventory,
    TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
    WEB_PORT: String(webPort),
  };
  log('starting the worker (bundling workflows takes a few seconds)');
  // its memory bounded as docs/production.md says (WORKER_HEAP_MIB and the like)
  launch('worker', process.execPath, [...workerNodeFlags(config), join(root, 'dist/worker/main.js')], {
    env: { ...env, ...workerProcessEnv(config) },
  });
  log('starting the web server');
  launch('web', process.execPath, [join(root, 'dist/web/main.js')], { env });

  console.log(`
  hsm-ceremonies is running
    Dashboard          http://127.0.0.1:${webPort}/  (each ceremony's page follows it live once an operator signs in)
    Temporal Web UI    http://127.0.0.1:${uiPort}/
    Temporal frontend  ${address}  (namespace default, task queue hsm-ceremonies)
    Mail inbox         ${inboxUrl}  (approval mails with their links)
    Sign-in            ${signInUrl}  (${config.OIDC_ISSUER ? 'OpenID Connect' : 'a local stand-in for Entra ID: pick a person, no password; dev only'})
    Notifications log  ${join(dataDir, 'outbox.jsonl')}
    Metrics            ${metricsUrl(config.WEB_METRICS_ADDRESS)}  (ceremonies)  ${metricsUrl(config.WORKER_METRICS_ADDRESS)}  (worker: Temporal SDK)
    Device inventory   ${inventory}${simulated ? '  (simulated appliances: npm run sim -- --help)' : ''}

  Start a ceremony in another terminal:
    npx ceremony start rehearsal --hsm hsm-weu-1 --ticket jira:OPS-1 --requester dave@example.com
  Approvers sign with their keys${simulated ? ` (generated in ${join(dataDir, 'keys')}: --key ${localKeyFile(dataDir, 'alice@example.com')})` : ''}

  Ctrl-C stops everything; state stays in ${dataDir}.
`);
}

function metricsUrl(address: string): string {
  return address === 'off' ? '(off)' : `http://${address}/metrics`;
}

main().catch((err) => {
  console.error(`[stack] ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});
