import { Gauge, Registry } from 'prom-client';
import type { Inventory } from '../ceremonies/inventory';
import { readCertificateExpiries } from '../activities/ntls-expiry';
import type { SecretSources } from '../activities/device/secrets';
import { refreshAtMostEvery } from '../runtime/metrics-server';

// The NTLS server certificate expiry of each unit, as a Prometheus gauge served by the worker:
// the one process that holds the appliances' credentials and already reads them (the web app
// holds none, by design). The certificates are read on a scrape only when the last read is older
// than the refresh interval (an hour by default): a Prometheus scraping every 15 s costs the
// appliances one scp of server.pem an hour, not one per scrape.

export class NtlsExpiryMetrics {
  readonly registry = new Registry();
  private readonly expiry = new Gauge({
    name: 'hsm_ntls_certificate_expiry_seconds',
    help: "Seconds until the unit's NTLS server certificate (server.pem) expires; negative once expired",
    labelNames: ['hsm'],
    registers: [this.registry],
  });
  private readonly readable = new Gauge({
    name: 'hsm_ntls_certificate_readable',
    help: "1 when the unit's server.pem was read at the last refresh, 0 when it could not be (the expiry gauge then keeps its last value)",
    labelNames: ['hsm'],
    registers: [this.registry],
  });
  private readonly notAfter = new Gauge({
    name: 'hsm_ntls_certificate_not_after_timestamp_seconds',
    help: "When the unit's NTLS server certificate expires (Unix time)",
    labelNames: ['hsm'],
    registers: [this.registry],
  });
  private readonly refreshIfStale: () => Promise<void>;

  constructor(
    private readonly inventory: () => Inventory,
    private readonly secrets: SecretSources,
    refreshEveryMs = 3_600_000,
  ) {
    this.refreshIfStale = refreshAtMostEvery(refreshEveryMs, () => this.refresh());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async text(): Promise<string> {
    await this.refreshIfStale();
    return this.registry.metrics();
  }

  private async refresh(): Promise<void> {
    const inventory = this.inventory();
    for (const e of await readCertificateExpiries(inventory, Object.keys(inventory.hsms), this.secrets)) {
      if ('error' in e) {
        this.readable.set({ hsm: e.hsm }, 0);
        continue;
      }
      this.readable.set({ hsm: e.hsm }, 1);
      this.expiry.set({ hsm: e.hsm }, e.secondsLeft);
      this.notAfter.set({ hsm: e.hsm }, Math.floor(Date.parse(e.notAfter) / 1000));
    }
  }
}
