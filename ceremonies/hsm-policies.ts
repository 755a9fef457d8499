// The HSM policies the HSM Administrator may change with `hsm changePolicy`, by number, as the
// documentation and a public capture list them: the policy table of `hsm showPolicies` on a Luna
// SA 6.2.2 unit (IBM Cloud docs, "Enable FIPS 140-2 (Optional)", citrix-netscaler-vpx; our fixture
// test/fixtures/lunash/hsm-showpolicies-6.x.txt), whose "Destructive" column agrees with Thales'
// "HSM Capabilities and Policies" pages (5.3 and 7.x: "changing those security-affecting policies
// results in application partitions, or the entire HSM, being zeroized"). A destructive change
// cannot be undone (it erases every partition), so plans set it with the irreversible operation
// `hsm.changeDestructivePolicy`; the appliance's own Destructive column is checked again before
// either operation sends anything.

export interface HsmPolicy {
  code: number;
  name: string;
  destructive: boolean;
}

export const HSM_POLICIES: readonly HsmPolicy[] = [
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

export function hsmPolicy(code: number): HsmPolicy | undefined {
  return HSM_POLICIES.find((p) => p.code === code);
}

export const HSM_POLICY_CODES = HSM_POLICIES.map((p) => p.code).join(', ');

/** The partition policies that let a partition's keys be cloned (Thales, "Capabilities and
 * Policies": "if HSM policy 7 is set to disallow cloning, partition policies 0 and 4, which allow
 * cloning of private or secret keys, cannot be set to 1"): what a partition that will be backed up
 * or join an HA group needs. The Partition SO sets them with LunaCM on the client. */
export const CLONING_PARTITION_POLICIES = [
  { code: 0, name: 'Allow private key cloning' },
  { code: 4, name: 'Allow secret key cloning' },
] as const;
export const ALLOW_CLONING_HSM_POLICY = 7;
