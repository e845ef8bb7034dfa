import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import { AppConfigSchema, type AppConfig } from './schema.ts';

/**
 * Environment variables that map onto config keys: `HANTU__SECTION__KEY` (double underscore between
 * levels, key in camelCase or UPPER_SNAKE), e.g. `HANTU__SIM__SPEED=60`, plus the short aliases below.
 */
const ALIASES: Record<string, string> = {
  HANTU_DATA_DIR: 'dataDir',
  LOG_LEVEL: 'logLevel',
};

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function coerce(v: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1] as string] = value;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof prev === 'object' && prev !== null && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Converts zod issues to `ConfigIssue`s with dotted paths, prefixed by the source they came from. */
export function zodIssues(error: z.ZodError, prefix = ''): ConfigIssue[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    const keys = (i as { keys?: string[] }).keys;
    if (i.code === 'unrecognized_keys' && keys) {
      return { path: [path, ...keys].filter(Boolean).join('.'), message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}` };
    }
    return { path, message: i.message };
  });
}

export interface LoadConfigOptions {
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** JSON config file; default `hantu.config.json` in the working directory when it exists. */
  file?: string;
  /** Values from CLI flags, highest precedence. */
  overrides?: Record<string, unknown>;
}

/**
 * Loads the app configuration: schema defaults → config file → environment → CLI overrides.
 * Throws `ConfigError` listing every wrong key (with its path) at once. The result is deep-frozen.
 */
export function loadConfig(opts: LoadConfigOptions = {}): AppConfig {
  const env = opts.env ?? process.env;
  let layered: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  const file = opts.file ?? (existsSync('hantu.config.json') ? 'hantu.config.json' : undefined);
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(resolve(file), 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) issues.push({ path: file, message: 'config file must hold a JSON object' });
      else layered = deepMerge(layered, parsed as Record<string, unknown>);
    } catch (e) {
      issues.push({ path: file, message: `cannot read config file: ${(e as Error).message}` });
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const alias = ALIASES[name];
    if (alias) setPath(fromEnv, alias.split('.'), coerce(value));
    else if (name.startsWith('HANTU__')) setPath(fromEnv, name.slice(7).split('__').map(camel), coerce(value));
  }
  layered = deepMerge(layered, fromEnv);
  if (opts.overrides) layered = deepMerge(layered, opts.overrides);
  const result = AppConfigSchema.safeParse(layered);
  if (!result.success) issues.push(...zodIssues(result.error));
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze(result.data as AppConfig);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
