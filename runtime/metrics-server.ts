import { createServer, type Server } from 'node:http';

/** What a metrics endpoint serves: Prometheus text, refreshed as its source decides (the web
 * app's ceremony metrics, the worker's NTLS certificate expiry gauge). */
export interface MetricsSource {
  text(): Promise<string>;
  readonly contentType: string;
}

/** `refresh` at most once per `everyMs` (the first call refreshes), one at a time: a caller
 * while one runs waits for it. A scrape inside the interval gets the last refresh's figures. */
export function refreshAtMostEvery(everyMs: number, refresh: () => Promise<void>): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  return async () => {
    if (Date.now() - last < everyMs) return;
    running ??= refresh().finally(() => {
      last = Date.now();
      running = undefined;
    });
    await running;
  };
}

/** `host:port` or `[v6]:port` into its parts. */
export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`not a host:port address: ${address}`);
  return { host: m[1], port: Number(m[2]) };
}

/** `GET /metrics` on an address of its own (not the app's public port): for Prometheus only. */
export async function serveMetrics(metrics: MetricsSource, address: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
      (err: unknown) =>
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  const { host, port } = splitAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as { port: number };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}/metrics`, server };
}
