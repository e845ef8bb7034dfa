import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { kstParts } from '../../core/kst.ts';
import { demoHoldings } from '../../node/demo.ts';
import { parseFaultSpec } from '../../node/faults.ts';
import { launchTwin, removeTwinDiscovery, writeTwinDiscovery, type LaunchTwinOptions } from '../../node/twin-node.ts';
import { configFrom, loggerFor } from '../session.ts';

interface SimFlags {
  day?: string;
  at?: string;
  speed?: string;
  data?: string;
  port?: string;
  seed?: string;
  cash?: string;
  demo?: boolean;
  holdings?: string;
  maxRegistrations?: string;
  faults?: string;
}

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replaceAll(',', '').replaceAll('_', ''));
  if (!Number.isFinite(n)) throw new InputError(`${what} must be a number, was "${v}"`);
  return n;
}

/** `--holdings top:N[:WON]` or `CODE:QTY:AVG,…`; `--demo` is `top:5`. Throws `InputError`. */
function parseHoldings(spec: string | undefined, demo: boolean | undefined): LaunchTwinOptions['holdings'] {
  if (!spec) return demo ? (m) => demoHoldings(m) : undefined;
  const top = /^top:(\d+)(?::(\d+))?$/.exec(spec);
  if (top) return (m) => demoHoldings(m, Number(top[1]), top[2] ? Number(top[2]) : undefined);
  const list = spec.split(',').map((item) => {
    const m = /^([0-9A-Z]{6}):(\d+):(\d+(?:\.\d+)?)$/.exec(item.trim());
    if (!m) throw new InputError(`--holdings: "${item}" is not CODE:QTY:AVG (e.g. 005930:10:71900) and the spec is not top:N[:WON]`);
    return { code: m[1]!, quantity: Number(m[2]), avgPrice: Number(m[3]) };
  });
  return list;
}

/** `hantu sim`: the KIS twin on loopback until Ctrl-C. */
export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('start the KIS twin (REST + WebSocket) on 127.0.0.1 over a real KRX trading day')
    .option('--day <date>', 'session to replay, YYYY-MM-DD (default: latest in the data)')
    .option('--at <HH:MM>', 'simulated KST time to start at (default 09:30)')
    .option('--speed <n>', 'simulated seconds per real second (default 1)')
    .option('--data <file>', 'daily bars: marcap CSV(.gz), rltrader CSV or the shipped compact CSV')
    .option('--port <n>', 'REST port (default: any free port)')
    .option('--seed <n>', 'seed of the synthetic-intraday paths')
    .option('--cash <won>', 'starting cash of the demo account')
    .option('--demo', 'give the account five holdings bought the day before')
    .option('--holdings <spec>', 'holdings bought the day before: top:N[:WON] (N most traded, about WON each) or CODE:QTY:AVG,…')
    .option('--max-registrations <n>', 'WebSocket registrations per session (KIS: 41; raise only for benchmarks)')
    .option('--faults <spec>', 'faults: refuse=N,drop-notices=N,dup-notices=N,drop-fill-notices=N,dup-fill-notices=N,delay-notices=MS,garbage=N,truncated=N,extra-fields=N,half-tick=N,halt=CODE,no-ping,silent,disconnect=SEC')
    .action(async (f: SimFlags) => {
      const faults = f.faults ? parseFaultSpec(f.faults) : undefined;
      const sim: Record<string, unknown> = {};
      if (f.day) sim['day'] = f.day;
      if (f.at) sim['at'] = f.at;
      if (f.data) sim['data'] = f.data;
      for (const [k, v] of [['speed', f.speed], ['port', f.port], ['seed', f.seed], ['cash', f.cash]] as const) {
        const n = num(v, `--${k}`);
        if (n !== undefined) sim[k] = n;
      }
      const config = configFrom(program, { sim });
      const logger = loggerFor(config);
      const holdings = parseHoldings(f.holdings, f.demo);
      const maxRegistrations = num(f.maxRegistrations, '--max-registrations');
      const launched = await launchTwin({
        sim: config.sim,
        fees: config.fees,
        logger,
        ...(holdings ? { holdings } : {}),
        ...(maxRegistrations ? { maxRegistrations } : {}),
      });
      if (faults) Object.assign(launched.twin.ws.faults, faults.ws);
      if (faults?.disconnectEverySec) {
        const every = faults.disconnectEverySec * 1000;
        const tick = (): void => {
          launched.twin.ws.dropConnections();
          launched.clock.setTimer(every, tick);
        };
        launched.clock.setTimer(every, tick);
      }
      const path = writeTwinDiscovery(config.dataDir, launched.endpoint);
      const e = launched.endpoint;
      const p = kstParts(launched.clock.now());
      const info = {
        rest: e.restUrl,
        websocket: e.wsUrl,
        day: launched.day,
        simulatedTime: `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} KST`,
        speed: config.sim.speed,
        data: launched.dataFile,
        instruments: launched.market.instruments().length,
        appKey: e.appKey,
        appSecret: e.appSecret,
        account: e.account,
        htsId: e.htsId,
        discoveryFile: path,
      };
      if (program.opts<{ json?: boolean }>().json) console.log(JSON.stringify(info, null, 2));
      else {
        console.log(`hantu sim: KIS twin (synthetic-intraday replay of real daily bars) is up.
  REST       ${e.restUrl}
  WebSocket  ${e.wsUrl}
  replaying  ${launched.day} from ${info.simulatedTime} at ${config.sim.speed}x (${info.instruments} instruments, ${launched.dataFile})
  account    ${e.account}   HTS ID ${e.htsId}   cash ${config.sim.cash.toLocaleString('en-US')} won${launched.account.holdings.length ? ` + ${launched.account.holdings.length} holdings bought the day before` : ''}
  app key    ${e.appKey}
  app secret ${e.appSecret}
(these are the twin's fake credentials: safe to paste)

In another terminal, either use --sim (it finds this twin through ${path}):
  npx hantu quote 005930 --sim
or point any KIS client at it:
  export KIS_ENV=sim KIS_BASE_URL=${e.restUrl} KIS_WS_URL=${e.wsUrl} KIS_APP_KEY=${e.appKey} KIS_APP_SECRET=${e.appSecret} KIS_ACCOUNT=${e.account} KIS_HTS_ID=${e.htsId}
Ctrl-C stops it.`);
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      removeTwinDiscovery(config.dataDir);
      await launched.close();
      console.error('hantu sim: stopped');
    });
}
