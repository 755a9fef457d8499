import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

// Every response carries the security headers (@fastify/helmet). The pages have no script and
// no inline style: they load only the app's stylesheet, post forms only to the app, and may not
// be framed.

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

export async function registerSecurityHeaders(app: FastifyInstance, { https }: { https: boolean }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // only meaningful, and only honoured, when the app is reached over https
    strictTransportSecurity: https ? { maxAge: 365 * 24 * 3600 } : false,
  });
}
