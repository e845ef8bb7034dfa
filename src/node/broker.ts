import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SystemClock, type Clock } from '../core/clock.ts';
import { kstDateOf, type KstDate } from '../core/kst.ts';
import { maskAccount, type Logger } from '../core/logger.ts';
import type { AppConfig } from '../config/schema.ts';
import { loadKisFromEnv } from '../adapters/kis/common/credentials.ts';
import { KisClient } from '../adapters/kis/kis-client.ts';
import type { BrokerSession } from '../app/ports.ts';
import { clockOfTwin, launchTwin, readTwinDiscovery, twinAnswers, type LaunchedTwin, type TwinEndpoint } from './twin-node.ts';

export interface OpenBrokerOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Talk to the twin: a running `hantu sim` if one answers, else an in-process one. */
  readonly sim: boolean;
  /** The process environment (KIS_* variables). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `.env` file to read KIS_* from (default `.env` when present). */
  readonly envFile?: string | undefined;
}

/** A broker session plus, when one was started for it, the in-process twin. */
export interface OpenedBroker extends BrokerSession {
  readonly twin?: LaunchedTwin;
  readonly endpoint?: TwinEndpoint;
  readonly clock: Clock;
}

/** Builds a KIS client for a twin endpoint (env `sim`: real TR ids, the twin's URLs and fake keys). */
export function clientForTwin(
  e: TwinEndpoint,
  o: { clock: Clock; logger: Logger; dataDir: string; rateLimitPerSecond?: number; timeoutClock?: Clock; /** Pages a paged query may take (default 50). */ maxPages?: number },
): KisClient {
  const { config, credentials } = loadKisFromEnv({
    env: {
      KIS_ENV: 'sim',
      KIS_BASE_URL: e.restUrl,
      KIS_WS_URL: e.wsUrl,
      KIS_APP_KEY: e.appKey,
      KIS_APP_SECRET: e.appSecret,
      KIS_ACCOUNT: e.account,
      KIS_HTS_ID: e.htsId,
    },
    config: {
      ...(o.rateLimitPerSecond ? { rateLimit: { perSecond: o.rateLimitPerSecond } } : {}),
      ...(o.maxPages ? { maxPages: o.maxPages } : {}),
    },
  });
  // Network deadlines run on the wall clock: a replay clock at 390x would turn 10 s into 26 ms.
  return new KisClient({ config, credentials, clock: o.clock, timeoutClock: o.timeoutClock ?? new SystemClock(), logger: o.logger, dataDir: join(o.dataDir, 'sim') });
}

/**
 * Opens the broker the commands talk to. `--sim`, or no `KIS_APP_KEY` anywhere: the twin (a running
 * `hantu sim` found through `<dataDir>/sim.json`, else one started in this process). Otherwise KIS with
 * the credentials from the environment / `.env`. Throws `ConfigError` listing every bad KIS setting.
 */
export async function openBroker(o: OpenBrokerOptions): Promise<OpenedBroker> {
  const dataDir = o.config.dataDir;
  const envFile = o.envFile ?? (existsSync('.env') ? '.env' : undefined);
  const hasKis = Boolean(o.env['KIS_APP_KEY']) || (envFile !== undefined && /^\s*KIS_APP_KEY\s*=/m.test(await readText(envFile)));
  if (o.sim || !hasKis) {
    const found = readTwinDiscovery(dataDir);
    if (found && (await twinAnswers(found.restUrl))) {
      const clock = clockOfTwin(found);
      const client = clientForTwin(found, { clock, logger: o.logger, dataDir });
      return {
        client,
        env: 'sim',
        description: `twin at ${found.restUrl} (hantu sim, pid ${found.pid}, replaying ${found.day})`,
        account: maskAccount(found.account),
        clock,
        endpoint: found,
        today: () => found.day,
        close: () => client.close(),
      };
    }
    const twin = await launchTwin({ sim: o.config.sim, fees: o.config.fees, logger: o.logger });
    const client = clientForTwin(twin.endpoint, { clock: twin.clock, logger: o.logger, dataDir });
    return {
      client,
      env: 'sim',
      description: `in-process twin at ${twin.endpoint.restUrl} replaying ${twin.day} from ${o.config.sim.at} KST (state ends with this command; run \`hantu sim\` to keep one)`,
      account: maskAccount(twin.endpoint.account),
      clock: twin.clock,
      twin,
      endpoint: twin.endpoint,
      today: () => twin.day,
      close: async () => {
        await client.close();
        await twin.close();
      },
    };
  }
  const { config, credentials } = loadKisFromEnv({ env: o.env, envFile });
  const clock = new SystemClock();
  const client = new KisClient({ config, credentials, clock, logger: o.logger, dataDir });
  const env = config.env === 'sim' ? 'sim' : config.env;
  return {
    client,
    env,
    description: `KIS ${config.env} at ${config.baseUrl}`,
    account: credentials.maskedAccount,
    clock,
    today: (): KstDate => kstDateOf(clock.now()),
    close: () => client.close(),
  };
}

async function readText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}
