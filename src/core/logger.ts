import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

/** Structured logger (pino). Context goes in the first argument as key=value pairs. */
export type Logger = PinoLogger;

/**
 * Keys whose values never reach a log line, wherever they appear (two levels deep and in headers).
 * Secrets: KIS app key/secret, access tokens, approval keys, account numbers' full form.
 */
export const REDACT_KEYS = [
  'appkey',
  'appsecret',
  'appKey',
  'appSecret',
  'secretkey',
  'authorization',
  'access_token',
  'accessToken',
  'approval_key',
  'approvalKey',
  'token',
  'password',
  'hashkey',
] as const;

const REDACT_PATHS = [
  ...REDACT_KEYS,
  ...REDACT_KEYS.map((k) => `*.${k}`),
  ...REDACT_KEYS.map((k) => `*.*.${k}`),
  ...REDACT_KEYS.map((k) => `headers.${k}`),
];

export interface LoggerOptions {
  level?: string;
  /** One readable line per entry (`warn kis token issue throttled waitMs=60000`) instead of JSON. */
  pretty?: boolean;
  /** Where lines go (default stderr, so stdout stays for command output). */
  destination?: DestinationStream;
  name?: string;
}

/** Creates the process logger with secret redaction applied. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env['LOG_LEVEL'] ?? 'info',
      name: opts.name ?? 'hantu',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    opts.destination ?? (opts.pretty ? prettyStderr() : pino.destination({ fd: 2, sync: true })),
  );
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Formats one pino JSON line for a terminal: `level message key=value …` (already redacted by pino). */
export function formatLogLine(line: string): string {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { level, time: _t, name: _n, msg, ...rest } = o;
    const kv = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${LEVEL_NAMES[Number(level)] ?? String(level)} ${String(msg ?? '')}${kv ? ` ${kv}` : ''}\n`;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
}

function prettyStderr(): DestinationStream {
  return { write: (line: string) => void process.stderr.write(formatLogLine(line)) };
}

/** A logger that drops everything (for tests that do not inspect logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Masks an account number for display and audit: `12345678-01` → `1234****-01`. */
export function maskAccount(account: string): string {
  return account.replace(/^(\d{4})\d{4}/, '$1****');
}
