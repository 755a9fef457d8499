// Names from requests, tickets, plans and update inputs are looked up as own properties only:
// `__proto__`, `constructor` or `toString` are just strings that name nothing.

/** The value stored under `key` itself, never one inherited from Object.prototype. */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** A copy without a prototype: indexing it can only find what was put in it. */
export function nullPrototype<T>(record: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, record);
}
