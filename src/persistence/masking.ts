import { maskAccount } from '../core/logger.ts';

/**
 * Masks account numbers before anything reaches a table (DESIGN.md: account numbers never appear in
 * full outside the credentials). A KIS account is an 8-digit CANO plus a 2-digit product code
 * (`12345678-01`); the mask keeps the first 4 digits: `1234****-01`.
 */

/** Masks one account number (any 8-digit run, as `core/logger.ts maskAccount` does for the CANO). */
export function maskAccountNumber(account: string): string {
  return maskAccount(account.trim()).replace(/(?<![0-9])([0-9]{4})[0-9]{4}/g, '$1****');
}

/** `NNNNNNNN-NN`: the KIS account form, masked wherever it appears even when the account is unknown. */
const DASHED_ACCOUNT = /(?<![0-9])([0-9]{4})[0-9]{4}(-[0-9]{2})(?![0-9])/g;

/** Keys whose string or number values are account numbers whatever they look like. */
const ACCOUNT_KEY = /^(account(_?(no|number|num))?|acct(_?no)?|acnt(_?no)?|cano|accountNo|accountNumber)$/i;

/**
 * Masks the known account numbers (and anything in the `NNNNNNNN-NN` form) in text and in JSON values,
 * recursively. Known accounts are masked in every form they can take: `12345678-01`, `1234567801`,
 * `12345678`, inside any string, or as a number equal to the account. Masking errs on the side of
 * privacy: a string that happens to contain a known CANO's 8 digits is masked too.
 */
export class AccountMasker {
  private readonly canos: readonly string[];

  /** @param accounts the full account numbers this process knows (any form with an 8-digit CANO first) */
  constructor(accounts: readonly string[] = []) {
    const canos = new Set<string>();
    for (const a of accounts) {
      const digits = a.replace(/[^0-9]/g, '');
      if (digits.length >= 8) canos.add(digits.slice(0, 8));
    }
    this.canos = [...canos];
  }

  /** `text` with every account number masked. */
  maskText(text: string): string {
    let out = text;
    for (const cano of this.canos) out = out.split(cano).join(`${cano.slice(0, 4)}****`);
    return out.replace(DASHED_ACCOUNT, '$1****$2');
  }

  /** A deep copy of a JSON value with every account number masked (keys included). */
  maskJson(value: unknown, key?: string): unknown {
    if (typeof value === 'string') return key !== undefined && ACCOUNT_KEY.test(key) ? maskAccountNumber(this.maskText(value)) : this.maskText(value);
    if (typeof value === 'number') {
      const s = String(value);
      if (key !== undefined && ACCOUNT_KEY.test(key)) return maskAccountNumber(s);
      // Only the account itself (CANO, or CANO + product code); an amount that merely contains the digits stays.
      return this.canos.some((c) => s === c || (s.length === 10 && s.startsWith(c))) ? maskAccountNumber(s) : value;
    }
    if (Array.isArray(value)) return value.map((v) => this.maskJson(v, key));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        out[this.maskText(k)] = this.maskJson(v, k);
      }
      return out;
    }
    return value;
  }
}
