import { InputError } from '../core/errors.ts';
import type { SimWsFaults } from '../sim/ws/ws-server.ts';

/**
 * `hantu sim --faults <spec>`: a comma-separated list of faults for the twin's WebSocket side.
 *   refuse=N          refuse the next N reconnects (HTTP 503)
 *   drop-notices=N    drop the next N execution notices
 *   drop-fill-notices=N, dup-fill-notices=N   the same for fill notices only (acknowledgements pass)
 *   dup-notices=N     send the next N notices twice
 *   delay-notices=MS  hold every notice back MS ms (simulated)
 *   garbage=N         send N garbage frames at the next push
 *   truncated=N       send N truncated trade frames
 *   extra-fields=N    append N unknown fields to every trade record
 *   half-tick=N       print the next N trades on a half tick
 *   halt=CODE[+CODE]  halt these instruments (TRHT_YN=Y and an H0STMKO0 frame)
 *   no-ping           stop sending PINGPONG
 *   silent            send nothing at all
 *   disconnect=SEC    drop every session every SEC simulated seconds
 * Throws `InputError` naming every bad item.
 */
export interface ParsedFaults {
  readonly ws: Partial<SimWsFaults>;
  readonly disconnectEverySec?: number;
}

export function parseFaultSpec(spec: string): ParsedFaults {
  const ws: Partial<SimWsFaults> = {};
  let disconnectEverySec: number | undefined;
  const bad: string[] = [];
  const int = (v: string | undefined, item: string): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < 0) {
      bad.push(`${item}: expected a whole number`);
      return 0;
    }
    return n;
  };
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = raw.split('=', 2) as [string, string | undefined];
    switch (k) {
      case 'refuse':
        ws.refuseConnections = int(v, raw);
        break;
      case 'drop-notices':
        ws.dropNotices = int(v, raw);
        break;
      case 'dup-notices':
        ws.duplicateNotices = int(v, raw);
        break;
      case 'drop-fill-notices':
        ws.dropFillNotices = int(v, raw);
        break;
      case 'dup-fill-notices':
        ws.duplicateFillNotices = int(v, raw);
        break;
      case 'delay-notices':
        ws.delayNoticesMs = int(v, raw);
        break;
      case 'garbage':
        ws.garbageFrames = int(v, raw);
        break;
      case 'truncated':
        ws.truncatedFrames = int(v, raw);
        break;
      case 'extra-fields':
        ws.extraTradeFields = int(v, raw);
        break;
      case 'half-tick':
        ws.halfTickTrades = int(v, raw);
        break;
      case 'halt':
        if (!v || !/^[0-9A-Z]{6}(\+[0-9A-Z]{6})*$/.test(v)) bad.push(`${raw}: expected CODE[+CODE…]`);
        else ws.halted = new Set(v.split('+'));
        break;
      case 'no-ping':
        ws.noPingPong = true;
        break;
      case 'silent':
        ws.silent = true;
        break;
      case 'disconnect':
        disconnectEverySec = int(v, raw);
        if (disconnectEverySec === 0) bad.push(`${raw}: must be > 0`);
        break;
      default:
        bad.push(`${raw}: unknown fault (see hantu sim --help)`);
    }
  }
  if (bad.length) throw new InputError(`bad --faults: ${bad.join('; ')}`);
  return disconnectEverySec !== undefined ? { ws, disconnectEverySec } : { ws };
}
