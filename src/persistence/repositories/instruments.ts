import type { UnixMillis } from '../../core/brand.ts';
import { SystemClock, type Clock } from '../../core/clock.ts';
import { instrumentId, type Instrument, type InstrumentId, type InstrumentKind, type Market } from '../../model/instrument.ts';
import { millis, str, tsParam, type DbRow } from '../codec.ts';
import type { Db } from '../types.ts';

/** An instrument as stored, with when it was last written. */
export interface StoredInstrument extends Instrument {
  readonly updatedAt: UnixMillis;
}

function toInstrument(row: DbRow): StoredInstrument {
  return {
    id: instrumentId(str(row, 'id')),
    name: str(row, 'name'),
    market: str(row, 'market') as Market,
    kind: str(row, 'kind') as InstrumentKind,
    updatedAt: millis(row, 'updated_at'),
  };
}

/** The `instruments` table (code, name, market, kind). */
export class InstrumentRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /** Inserts or replaces instruments (by code), in one transaction. */
  async upsert(instruments: readonly Instrument[]): Promise<void> {
    const at = tsParam(this.clock.now());
    await this.db.transaction(async (tx) => {
      for (const i of instruments) {
        await tx.query(
          `INSERT INTO instruments (id, name, market, kind, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, market = excluded.market, kind = excluded.kind, updated_at = excluded.updated_at`,
          [instrumentId(i.id), i.name, i.market, i.kind, at],
        );
      }
    });
  }

  /** The instrument with code `id`, if stored. */
  async get(id: InstrumentId): Promise<StoredInstrument | undefined> {
    const row = (await this.db.query('SELECT * FROM instruments WHERE id = $1', [id]))[0];
    return row === undefined ? undefined : toInstrument(row);
  }

  /** Every stored instrument, by code. */
  async list(): Promise<StoredInstrument[]> {
    return (await this.db.query('SELECT * FROM instruments ORDER BY id')).map(toInstrument);
  }
}
