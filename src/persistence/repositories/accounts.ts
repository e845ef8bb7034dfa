import type { UnixMillis } from '../../core/brand.ts';
import { SystemClock, type Clock } from '../../core/clock.ts';
import { InvariantError } from '../../core/errors.ts';
import { millis, str, tsParam, type DbRow } from '../codec.ts';
import { maskAccountNumber } from '../masking.ts';
import type { Db } from '../types.ts';

/** Which KIS environment an account trades in. */
export type AccountEnv = 'real' | 'paper' | 'sim';

/** A registered account. The account number is stored masked only (`1234****-01`). */
export interface AccountRecord {
  /** The application's name for the account (never the account number). */
  readonly id: string;
  readonly env: AccountEnv;
  readonly maskedAccount: string;
  readonly createdAt: UnixMillis;
}

const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

function toAccount(row: DbRow): AccountRecord {
  return { id: str(row, 'id'), env: str(row, 'env') as AccountEnv, maskedAccount: str(row, 'masked_account'), createdAt: millis(row, 'created_at') };
}

/** The `accounts` table. Every other table refers to an account by its `id`. */
export class AccountRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /**
   * Registers an account (idempotent). The number is masked here, at the boundary; only the masked
   * form is stored.
   * @param args.id the application's name for the account: 1–64 of `A-Z a-z 0-9 _ . : -`, no 8-digit run
   * @param args.accountNumber the full account number (`12345678-01`), masked before storage
   * @throws InvariantError(ACCOUNT_INVALID) for a bad id
   * @throws InvariantError(ACCOUNT_MISMATCH) when `id` is registered with another env or account
   */
  async register(args: { id: string; env: AccountEnv; accountNumber: string }): Promise<AccountRecord> {
    if (!ID_RE.test(args.id) || /[0-9]{8}/.test(args.id)) {
      throw new InvariantError('ACCOUNT_INVALID', `account id must be 1-64 of A-Z a-z 0-9 _ . : - without an account number, was "${maskAccountNumber(args.id)}"`);
    }
    const masked = maskAccountNumber(args.accountNumber);
    const inserted = await this.db.query(
      `INSERT INTO accounts (id, env, masked_account, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [args.id, args.env, masked, tsParam(this.clock.now())],
    );
    const row = inserted[0] ?? (await this.db.query('SELECT * FROM accounts WHERE id = $1', [args.id]))[0];
    if (row === undefined) throw new InvariantError('ACCOUNT_INVALID', `account ${args.id} vanished while registering`);
    const account = toAccount(row);
    if (account.env !== args.env || account.maskedAccount !== masked) {
      throw new InvariantError('ACCOUNT_MISMATCH', `account id ${args.id} is registered as ${account.env} ${account.maskedAccount}, not ${args.env} ${masked}`, {
        id: args.id,
      });
    }
    return account;
  }

  /** The account named `id`, if registered. */
  async get(id: string): Promise<AccountRecord | undefined> {
    const row = (await this.db.query('SELECT * FROM accounts WHERE id = $1', [id]))[0];
    return row === undefined ? undefined : toAccount(row);
  }

  /** Every registered account, by id. */
  async list(): Promise<AccountRecord[]> {
    return (await this.db.query('SELECT * FROM accounts ORDER BY id')).map(toAccount);
  }
}
