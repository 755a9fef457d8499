// The HSM policies the simulated appliance lists in `hsm showPolicies` and lets the HSM SO change,
// written out from the policy table a Luna SA 6.2.2 unit printed (IBM Cloud docs, "Enable FIPS
// 140-2 (Optional)", citrix-netscaler-vpx: code, description and the "Destructive" column as
// printed there; firmware 6.20.2 prints policy 15 the same way: pivotal/credhub-release,
// docs/luna-key-safety.md). The simulator's own copy: the plans' list (ceremonies/) is what the
// client believes, and the two are meant to be checked against each other, not shared.

export interface SimulatedPolicy {
  code: number;
  name: string;
  destructive: boolean;
}

export const HSM_POLICIES: readonly SimulatedPolicy[] = [
  { code: 6, name: 'Allow masking', destructive: true },
  { code: 7, name: 'Allow cloning', destructive: true },
  { code: 12, name: 'Allow non-FIPS algorithms', destructive: true },
  { code: 15, name: 'SO can reset partition PIN', destructive: true },
  { code: 16, name: 'Allow network replication', destructive: false },
  { code: 20, name: 'Allow Remote Authentication', destructive: true },
  { code: 21, name: 'Force user PIN change after set/reset', destructive: false },
  { code: 22, name: 'Allow offboard storage', destructive: true },
  { code: 29, name: 'Allow Acceleration', destructive: true },
];
