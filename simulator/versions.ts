// Version arithmetic for the simulated devices, and what the documentation ties to a firmware
// version. The simulator keeps its own reading of the documentation (not the plans' in
// ceremonies/): a rule both sides got wrong would otherwise pass every test.

/** Negative, zero or positive as dotted version `a` is older than, the same as, or newer than
 * `b`, number by number (a `-build` suffix is not compared). */
export function compareVersions(a: string, b: string): number {
  const numbers = (v: string) => (v.split('-')[0] ?? '').split('.').map((n) => Number(n));
  const [x, y] = [numbers(a), numbers(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Thales, "Using the STC Admin Channel": "The STC admin channel is configurable using ... Luna
 * HSM Firmware 7.4.2 and older. This feature is not available in Luna HSM Firmware 7.7.0 and
 * newer." */
export function hasStcAdminChannel(firmware: string): boolean {
  return compareVersions(firmware, '7.4.2') <= 0;
}
