/** A secret the activity needs cannot be had: non-retryable, the ceremony needs an operator. */
export class SecretUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailable';
  }
}

/** Nothing is stored at the reference (yet): an unset variable, a missing file, a secret that
 * is not in the vault. Not an unreadable file or a vault that refuses the worker. */
export class SecretNotStored extends SecretUnavailable {}
