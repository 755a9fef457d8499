import { generateSigningKey, signerFromPem, type DecisionSigner } from '../../client/decision-signer';

/** Simulated people's signing keys, made in memory (tests, benches): each email gets a key on
 * first use; the web app's attestation key is one more. `inventory()` gives the inventory's
 * `signingKeys` and `attestationKeys` for the people named. */
export class Keyring {
  private readonly pems = new Map<string, string>();
  private readonly signers = new Map<string, DecisionSigner>();
  readonly attestation: DecisionSigner = signerFromPem(generateSigningKey().privatePem);

  /** `email`'s private key (PKCS#8 PEM), as `ceremony keygen` writes it. */
  pem(email: string): string {
    const key = email.toLowerCase();
    if (!this.pems.has(key)) this.pems.set(key, generateSigningKey().privatePem);
    return this.pems.get(key)!;
  }

  signer(email: string): DecisionSigner {
    const key = email.toLowerCase();
    if (!this.signers.has(key)) this.signers.set(key, signerFromPem(this.pem(key)));
    return this.signers.get(key)!;
  }

  inventory(people: string[]): { signingKeys: Record<string, string[]>; attestationKeys: string[] } {
    return {
      signingKeys: Object.fromEntries(people.map((p) => [p.toLowerCase(), [this.signer(p).publicKey]])),
      attestationKeys: [this.attestation.publicKey],
    };
  }
}
