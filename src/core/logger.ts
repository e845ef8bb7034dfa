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
    opts.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything (for tests that do not inspect logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Masks an account number for display and audit: `12345678-01` → `1234****-01`. */
export function maskAccount(account: string): string {
  return account.replace(/^(\d{4})\d{4}/, '$1****');
}
