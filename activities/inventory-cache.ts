import { statSync } from 'node:fs';
import { loadInventory, type Inventory } from '../ceremonies/inventory';

/** The worker's inventory, parsed once and parsed again only when the file changes (its size,
 * modification time or inode), so an edit applies without a restart and a call costs a stat. */
export class InventoryCache {
  private cached: { stamp: string; inventory: Inventory } | undefined;

  constructor(readonly path: string) {}

  get(): Inventory {
    const stat = statSync(this.path, { throwIfNoEntry: false });
    // a file that is gone or unreadable is read (and fails) as before, with its own error
    const stamp = stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : '';
    if (stamp && this.cached?.stamp === stamp) return this.cached.inventory;
    const inventory = loadInventory(this.path);
    this.cached = stamp ? { stamp, inventory } : undefined;
    return inventory;
  }
}
