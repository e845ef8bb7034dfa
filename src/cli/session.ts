import type { Command } from 'commander';
import { createLogger, type Logger } from '../core/logger.ts';
import { loadConfig } from '../config/load.ts';
import type { AppConfig } from '../config/schema.ts';
import { openBroker, type OpenedBroker } from '../node/broker.ts';

/** Global flags every command sees. */
export interface GlobalOptions {
  json?: boolean;
  dataDir?: string;
  sim?: boolean;
  envFile?: string;
  logLevel?: string;
}

/** Loads the app config with the global flags applied (throws `ConfigError` naming every bad key). */
export function configFrom(program: Command, overrides: Record<string, unknown> = {}): AppConfig {
  const g = program.opts<GlobalOptions>();
  return loadConfig({
    overrides: {
      ...(g.dataDir ? { dataDir: g.dataDir } : {}),
      ...(g.logLevel ? { logLevel: g.logLevel } : {}),
      ...overrides,
    },
  });
}

export function loggerFor(config: AppConfig): Logger {
  return createLogger({ level: config.logLevel, pretty: !process.env['LOG_JSON'] });
}

/** Opens the broker for one command, runs `fn`, and always closes it. */
export async function withBroker<T>(program: Command, fn: (s: OpenedBroker, config: AppConfig) => Promise<T>): Promise<T> {
  const g = program.opts<GlobalOptions>();
  const config = configFrom(program);
  const logger = loggerFor(config);
  const session = await openBroker({ config, logger, sim: Boolean(g.sim), env: process.env, envFile: g.envFile });
  if (!g.json) console.error(`[${session.env}] ${session.description} · account ${session.account}`);
  try {
    return await fn(session, config);
  } finally {
    await session.close();
  }
}

/** Prints JSON when --json is set, else the text. */
export function output(program: Command, json: unknown, text: () => string): void {
  if (program.opts<GlobalOptions>().json) console.log(JSON.stringify(json, null, 2));
  else console.log(text());
}
