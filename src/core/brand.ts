/**
 * Nominal ("branded") types: a `Brand<number, 'Price'>` is a number at run time that the type checker
 * will not confuse with a plain number or another brand. Values enter a brand only through the
 * validating constructors of their module (for example `price()` in `model/money.ts`).
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Instant as milliseconds since the Unix epoch (UTC). All stored and carried times use this. */
export type UnixMillis = Brand<number, 'UnixMillis'>;

/** Wraps a number of epoch milliseconds. Throws `InvariantError` when it is not a finite integer. */
export function unixMillis(ms: number): UnixMillis {
  if (!Number.isSafeInteger(ms)) {
    throw new TypeError(`UnixMillis must be a safe integer, was ${ms}`);
  }
  return ms as UnixMillis;
}
