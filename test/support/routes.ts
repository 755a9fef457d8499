import type { FastifyInstance } from 'fastify';

/** Every `METHOD /path` the app serves (HEAD aside), read from fastify's own route tree:
 *   └── / (GET, HEAD)
 *       ├── ceremonies/:id (GET, HEAD)
 *       │   └── /cancel (POST)
 * each line a piece of the path below its parent's, 4 columns deeper. */
export function servedRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const paths: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[└├]── (\S+)(?: \(([^)]*)\))?\s*$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    paths[depth] = (depth > 0 ? paths[depth - 1] : '') + m[2];
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${paths[depth]}`);
  }
  return routes;
}
