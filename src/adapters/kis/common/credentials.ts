import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect, parseEnv } from 'node:util';
import { ConfigError, type ConfigIssue } from '../../../core/errors.ts';
import { maskAccount } from '../../../core/logger.ts';
import { resolveKisConfig, type KisConfig } from '../config.ts';

const REDACTED = '[redacted]';

/**
 * A secret string (app key, app secret, access token, approval key). The value is held in a private
 * field; `toString`, `toJSON` and `util.inspect` all print `[redacted]`, so a secret cannot reach a log
 * line or a serialized config by accident. Call `reveal()` only where the value goes on the wire.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The raw value. Use only to build a request. */
  reveal(): string {
    return this.#value;
  }
  /** True when both secrets hold the same value. */
  equals(other: Secret | undefined): boolean {
    return other !== undefined && other.#value === this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

/** A KIS account: 8-digit `CANO` + 2-digit `ACNT_PRDT_CD` (kis-protocol.md §1; 01 = 종합/위탁). */
export interface KisAccount {
  readonly cano: string;
  readonly productCode: string;
}

/**
 * Resolved KIS credentials. `toJSON` / `inspect` print only redacted or masked values.
 * `appKeyFingerprint` (first 12 hex digits of sha256(app key)) identifies the key in file names and logs.
 */
export class KisCredentials {
  readonly appKey: Secret;
  readonly appSecret: Secret;
  readonly account: KisAccount;
  /** HTS login id: the tr_key of the execution-notice stream (kis-protocol.md §5.2). */
  readonly htsId: string | undefined;
  readonly appKeyFingerprint: string;

  constructor(args: { appKey: string; appSecret: string; account: KisAccount; htsId?: string | undefined }) {
    this.appKey = new Secret(args.appKey);
    this.appSecret = new Secret(args.appSecret);
    this.account = Object.freeze({ ...args.account });
    this.htsId = args.htsId;
    this.appKeyFingerprint = createHash('sha256').update(args.appKey).digest('hex').slice(0, 12);
    Object.freeze(this);
  }
  /** `12345678-01` masked as `1234****-01`. */
  get maskedAccount(): string {
    return maskAccount(`${this.account.cano}-${this.account.productCode}`);
  }
  toJSON(): Record<string, unknown> {
    return { appKey: REDACTED, appSecret: REDACTED, account: this.maskedAccount, htsId: this.htsId, appKeyFingerprint: this.appKeyFingerprint };
  }
  toString(): string {
    return `KisCredentials(${JSON.stringify(this.toJSON())})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Environment variable names, defined once. */
export const KIS_ENV_VARS = {
  appKey: 'KIS_APP_KEY',
  appSecret: 'KIS_APP_SECRET',
  account: 'KIS_ACCOUNT',
  cano: 'KIS_CANO',
  productCode: 'KIS_ACNT_PRDT_CD',
  htsId: 'KIS_HTS_ID',
  env: 'KIS_ENV',
  baseUrl: 'KIS_BASE_URL',
  wsUrl: 'KIS_WS_URL',
} as const;

type EnvLike = Readonly<Record<string, string | undefined>>;

/**
 * Reads a `.env` file with node's `util.parseEnv` (no mutation of `process.env`).
 * A missing or unreadable file is reported as an issue, never silently ignored.
 */
export function readEnvFile(path: string, issues: ConfigIssue[]): EnvLike {
  try {
    return parseEnv(readFileSync(path, 'utf8')) as EnvLike;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    issues.push({ path: `envFile(${path})`, message: `cannot read the file (${code})` });
    return {};
  }
}

/**
 * Validates credentials from an env-like object. Messages name the variable and never echo its value.
 * @returns the credentials, or `undefined` with the problems appended to `issues`
 */
export function parseKisCredentials(env: EnvLike, issues: ConfigIssue[]): KisCredentials | undefined {
  const before = issues.length;
  const V = KIS_ENV_VARS;
  const get = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const token = (name: string, required: boolean): string | undefined => {
    const v = get(name);
    if (v === undefined) {
      if (required) issues.push({ path: name, message: 'required' });
      return undefined;
    }
    if (/\s/.test(v)) {
      issues.push({ path: name, message: 'must not contain whitespace' });
      return undefined;
    }
    return v;
  };
  const appKey = token(V.appKey, true);
  const appSecret = token(V.appSecret, true);
  const htsId = token(V.htsId, false);

  let account: KisAccount | undefined;
  const combined = get(V.account);
  const cano = get(V.cano);
  const prod = get(V.productCode);
  if (combined !== undefined) {
    const m = /^(\d{8})-(\d{2})$/.exec(combined);
    if (!m) issues.push({ path: V.account, message: 'must look like 12345678-01 (8-digit CANO, dash, 2-digit product code)' });
    else account = { cano: m[1]!, productCode: m[2]! };
  }
  if (cano !== undefined || prod !== undefined) {
    let ok = true;
    if (cano === undefined || !/^\d{8}$/.test(cano)) {
      issues.push({ path: V.cano, message: cano === undefined ? `required with ${V.productCode}` : 'must be 8 digits' });
      ok = false;
    }
    if (prod === undefined || !/^\d{2}$/.test(prod)) {
      issues.push({ path: V.productCode, message: prod === undefined ? `required with ${V.cano}` : 'must be 2 digits' });
      ok = false;
    }
    if (ok) {
      const split = { cano: cano!, productCode: prod! };
      if (account && (account.cano !== split.cano || account.productCode !== split.productCode)) {
        issues.push({ path: V.account, message: `disagrees with ${V.cano}/${V.productCode}; set one form only` });
      }
      account ??= split;
    }
  }
  if (combined === undefined && cano === undefined && prod === undefined) {
    issues.push({ path: V.account, message: `required (or ${V.cano} + ${V.productCode})` });
  }
  if (issues.length > before || !appKey || !appSecret || !account) return undefined;
  return new KisCredentials({ appKey, appSecret, account, htsId });
}

export interface LoadKisOptions {
  /** The process environment (pass `process.env`); never mutated. Wins over the file. */
  readonly env: EnvLike;
  /** Optional `.env` file path, parsed with `util.parseEnv`. */
  readonly envFile?: string | undefined;
  /** Config from files/CLI (a `KisConfigInput`); `KIS_ENV`, `KIS_BASE_URL`, `KIS_WS_URL` override its keys. */
  readonly config?: Record<string, unknown> | undefined;
}

/**
 * Loads credentials and config together and reports EVERY problem of both in one `ConfigError`
 * (paths are variable names for values from the environment, config paths otherwise).
 * Never reads `process.env` itself and never writes to it.
 * @throws ConfigError
 */
export function loadKisFromEnv(opts: LoadKisOptions): { config: KisConfig; credentials: KisCredentials } {
  const issues: ConfigIssue[] = [];
  const fileEnv = opts.envFile !== undefined ? readEnvFile(opts.envFile, issues) : {};
  const env: EnvLike = { ...fileEnv, ...definedOnly(opts.env) };
  const credentials = parseKisCredentials(env, issues);

  const input: Record<string, unknown> = { ...(opts.config ?? {}) };
  const fromEnv = new Map<string, string>();
  for (const [key, name] of [
    ['env', KIS_ENV_VARS.env],
    ['baseUrl', KIS_ENV_VARS.baseUrl],
    ['wsUrl', KIS_ENV_VARS.wsUrl],
  ] as const) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') {
      input[key] = v.trim();
      fromEnv.set(key, name);
    }
  }
  const configIssues: ConfigIssue[] = [];
  const config = resolveKisConfig(input, '', configIssues);
  for (const i of configIssues) {
    const top = i.path.split(/[.[]/)[0] ?? '';
    const name = fromEnv.get(top);
    issues.push(name ? { path: `${name} (${i.path})`, message: i.message } : i);
  }
  if (issues.length > 0 || !config || !credentials) throw new ConfigError(issues);
  return { config, credentials };
}

function definedOnly(env: EnvLike): EnvLike {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
