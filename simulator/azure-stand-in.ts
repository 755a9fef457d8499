import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

// What the local stand-ins of Azure services (ARM, Key Vault) share: an HTTPS server for
// 127.0.0.1 with a self-signed certificate the worker trusts through AZURE_CA_FILE, and an App
// Service style managed-identity token endpoint for @azure/identity's default credential.

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export interface StandInHttps {
  /** `https://127.0.0.1:<port>` */
  endpoint: string;
  /** The certificate to trust (PEM). */
  caFile: string;
  close(): Promise<void>;
}

export async function startStandInHttps(
  name: string,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<StandInHttps> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    days: 1,
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  } as never);
  const caFile = join(mkdtempSync(join(tmpdir(), `${name}-`)), 'ca.pem');
  writeFileSync(caFile, pems.cert);
  const server = createHttpsServer({ key: pems.private, cert: pems.cert }, handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
    caFile,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface ManagedIdentity {
  /** The bearer token it hands out, for every resource. */
  token: string;
  /** What @azure/identity reads to find it. */
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  close(): Promise<void>;
}

export async function startManagedIdentity(tokenPrefix: string): Promise<ManagedIdentity> {
  const token = `${tokenPrefix}-${randomBytes(16).toString('hex')}`;
  const identityHeader = randomBytes(8).toString('hex');
  const server = createHttpServer((req, res) => {
    if (req.headers['x-identity-header'] !== identityHeader) return json(res, 401, { error: 'bad identity header' });
    const resource = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('resource') ?? '';
    json(res, 200, {
      access_token: token,
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource,
      token_type: 'Bearer',
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    token,
    env: {
      IDENTITY_ENDPOINT: `http://127.0.0.1:${(server.address() as { port: number }).port}/msi/token`,
      IDENTITY_HEADER: identityHeader,
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
