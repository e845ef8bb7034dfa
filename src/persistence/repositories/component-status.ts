import type { UnixMillis } from '../../core/brand.ts';
import { SystemClock, type Clock } from '../../core/clock.ts';
import { millis, optStr, str, tsParam, type DbRow } from '../codec.ts';
import type { Db } from '../types.ts';

/** Life-cycle state of a component (broker session, WebSocket, sync, scheduler, ...). */
export type ComponentState = 'STARTING' | 'UP' | 'DEGRADED' | 'DOWN' | 'STOPPED';

/** The last reported state of one component. */
export interface ComponentStatus {
  readonly component: string;
  readonly state: ComponentState;
  readonly detail: string | undefined;
  readonly updatedAt: UnixMillis;
}

function toStatus(row: DbRow): ComponentStatus {
  return { component: str(row, 'component'), state: str(row, 'state') as ComponentState, detail: optStr(row, 'detail'), updatedAt: millis(row, 'updated_at') };
}

/** The `component_status` table: one row per component, overwritten on every change. */
export class ComponentStatusRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /** Records the current state of `component` (upsert). Do not put account numbers in `detail`. */
  async set(component: string, state: ComponentState, detail?: string): Promise<ComponentStatus> {
    const rows = await this.db.query(
      `INSERT INTO component_status (component, state, detail, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (component) DO UPDATE SET state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at
       RETURNING *`,
      [component, state, detail ?? null, tsParam(this.clock.now())],
    );
    return toStatus(rows[0] as DbRow);
  }

  /** The last state of `component`, if ever reported. */
  async get(component: string): Promise<ComponentStatus | undefined> {
    const row = (await this.db.query('SELECT * FROM component_status WHERE component = $1', [component]))[0];
    return row === undefined ? undefined : toStatus(row);
  }

  /** Every component, by name. */
  async list(): Promise<ComponentStatus[]> {
    return (await this.db.query('SELECT * FROM component_status ORDER BY component')).map(toStatus);
  }
}
