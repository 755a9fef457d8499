// the endpoint is shared with the worker (its NTLS certificate expiry gauge): it lives in runtime/
export { serveMetrics, splitAddress } from '../runtime/metrics-server';
