import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

// Every response carries the security headers (@fastify/helmet). The pages have no inline
// script or style: they load only the app's stylesheet and its one script (the live ceremony
// page's, which reads the app's event stream), post forms only to the app, and may not be framed.

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  connectSrc: ["'self'"],
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
