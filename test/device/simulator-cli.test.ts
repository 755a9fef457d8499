import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applianceStore } from '../../simulator/appliance-server';
import { freshApplianceState } from '../../simulator/state';

const main = join(__dirname, '../../dist/simulator/main.js');

test('the simulator CLI sets faults and power-cycles a hung appliance', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
  const store = applianceStore(join(dataDir, 'sim', 'hsm-x'));
  store.write({ ...freshApplianceState('hsm-x', '1234567'), reboot: { until: null }, pendingSoftware: '7.8.4-20' });
  const sim = (...args: string[]) =>
    execFileSync(process.execPath, [main, ...args], { env: { ...process.env, CEREMONY_DATA_DIR: dataDir } }).toString();

  expect(JSON.parse(sim('fault', 'hsm-x', '{"rebootHangs":true,"latencyMs":5}'))).toMatchObject({
    rebootHangs: true,
    latencyMs: 5,
  });
  expect(sim('power-cycle', 'hsm-x')).toContain('hsm-x is back: appliance software 7.8.4-20, firmware 7.0.3');
  expect(store.read()).toMatchObject({ reboot: null, softwareVersion: '7.8.4-20', pendingSoftware: null });
  expect(() =>
    execFileSync(process.execPath, [main, 'fault', 'hsm-x', '{"rebootHangs":"maybe"}'], {
      env: { ...process.env, CEREMONY_DATA_DIR: dataDir },
      stdio: 'pipe',
    }),
  ).toThrow(/rebootHangs/);
});
