-- 001_initial: the ledger.
-- Conventions: money and quantities are whole won / whole shares (bigint); instants are timestamptz
-- (carried as epoch ms in the code); instrument ids are 6-character KRX codes; enum values are the
-- domain's UPPER_SNAKE words. The same SQL runs on PGlite (PostgreSQL 17) and PostgreSQL >= 15: keep
-- to features both have (no MERGE ... RETURNING, no PG 16+ functions).
-- Account numbers never appear unmasked: the repositories mask them, CHECK constraints back it up.

-- Raised by the triggers of the append-only tables; restrict_violation is SQLSTATE class 23, so the
-- code reports it as DB_CONSTRAINT.
CREATE FUNCTION hantu_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

-- Trading accounts. `id` is the application's name for the account (never the account number).
CREATE TABLE accounts (
  id             text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$' AND id !~ '[0-9]{8}'),
  env            text NOT NULL CHECK (env IN ('real', 'paper', 'sim')),
  masked_account text NOT NULL CHECK (masked_account !~ '[0-9]{8}'),
  created_at     timestamptz NOT NULL
);

CREATE TABLE instruments (
  id         text PRIMARY KEY CHECK (id ~ '^[0-9A-Z]{6}$'),
  name       text NOT NULL,
  market     text NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
  kind       text NOT NULL CHECK (kind IN ('STOCK', 'ETF', 'ETN', 'ELW')),
  updated_at timestamptz NOT NULL
);

-- One row per order: our intent (fixed at creation), the state we track (the projection of the order's
-- events, rewritten in the same transaction as each event) and the venue-reported state (written only
-- by reconciliation), kept in separate column groups.
CREATE TABLE orders (
  client_order_id     text PRIMARY KEY CHECK (length(client_order_id) BETWEEN 1 AND 64),
  account_id          text NOT NULL REFERENCES accounts (id),
  instrument_id       text NOT NULL CHECK (instrument_id ~ '^[0-9A-Z]{6}$'),
  side                text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  order_type          text NOT NULL CHECK (order_type IN ('LIMIT', 'MARKET')),
  -- intent
  intent_quantity     bigint NOT NULL CHECK (intent_quantity > 0),
  intent_price        bigint CHECK (intent_price > 0),
  strategy_id         text,
  tag                 text,
  reason              text,
  -- tracked from our events
  status              text NOT NULL CHECK (status IN ('INITIALIZED', 'DENIED', 'SUBMITTED', 'ACCEPTED', 'REJECTED', 'PENDING_CANCEL',
                                                      'PENDING_UPDATE', 'PARTIALLY_FILLED', 'CANCELED', 'EXPIRED', 'FILLED')),
  quantity            bigint NOT NULL CHECK (quantity > 0),
  price               bigint CHECK (price > 0),
  filled_qty          bigint NOT NULL CHECK (filled_qty >= 0 AND filled_qty <= quantity),
  leaves_qty          bigint NOT NULL CHECK (leaves_qty >= 0),
  filled_value        bigint NOT NULL CHECK (filled_value >= 0),
  commission          bigint NOT NULL CHECK (commission >= 0),
  tax                 bigint NOT NULL CHECK (tax >= 0),
  venue_order_id      text,
  branch              text,
  venue_order_ids     jsonb NOT NULL DEFAULT '[]',
  event_count         integer NOT NULL CHECK (event_count >= 1),
  -- reported by the venue (reconciliation)
  venue_status        text,
  venue_filled_qty    bigint CHECK (venue_filled_qty >= 0),
  venue_remaining_qty bigint CHECK (venue_remaining_qty >= 0),
  venue_reported_at   timestamptz,
  venue_misses        integer NOT NULL DEFAULT 0 CHECK (venue_misses >= 0),
  last_reconciled_at  timestamptz,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  CHECK ((order_type = 'LIMIT') = (intent_price IS NOT NULL)),
  CHECK ((order_type = 'LIMIT') = (price IS NOT NULL))
);
CREATE INDEX orders_unresolved ON orders (account_id, created_at)
  WHERE status NOT IN ('DENIED', 'REJECTED', 'CANCELED', 'EXPIRED', 'FILLED');
CREATE INDEX orders_venue_order_ids ON orders USING gin (venue_order_ids jsonb_path_ops);

-- Every event of every order, in the order applied. Append-only.
CREATE TABLE order_events (
  seq             bigserial PRIMARY KEY,
  client_order_id text NOT NULL REFERENCES orders (client_order_id),
  type            text NOT NULL CHECK (type IN ('OrderInitialized', 'OrderDenied', 'OrderSubmitted', 'OrderAccepted', 'OrderRejected',
                                                'OrderPendingCancel', 'OrderPendingUpdate', 'OrderCanceled', 'OrderCancelRejected',
                                                'OrderUpdated', 'OrderModifyRejected', 'OrderExpired', 'OrderFilled')),
  payload         jsonb NOT NULL,
  ts_event        timestamptz NOT NULL,
  ts_init         timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_by_order ON order_events (client_order_id, seq);
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
  FOR EACH ROW EXECUTE FUNCTION hantu_refuse_change();
CREATE TRIGGER order_events_no_truncate BEFORE TRUNCATE ON order_events
  FOR EACH STATEMENT EXECUTE FUNCTION hantu_refuse_change();

-- Executions. The unique key is the only de-duplication point of the system: a fill reported by the
-- WebSocket notice and again by a REST query lands once. Venue order numbers are per account and
-- restart every session, so the key includes the account and the KST session date (derived from
-- ts_event; KST is UTC+9 all year). `client_order_id` is NULL for fills of orders placed outside hantu.
-- Append-only.
CREATE TABLE fills (
  id              bigserial PRIMARY KEY,
  account_id      text NOT NULL REFERENCES accounts (id),
  trade_date      date GENERATED ALWAYS AS (((ts_event AT TIME ZONE 'UTC') + interval '9 hours')::date) STORED,
  venue_order_id  text NOT NULL CHECK (length(venue_order_id) > 0),
  trade_id        text NOT NULL CHECK (length(trade_id) > 0),
  client_order_id text REFERENCES orders (client_order_id),
  instrument_id   text NOT NULL CHECK (instrument_id ~ '^[0-9A-Z]{6}$'),
  side            text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity        bigint NOT NULL CHECK (quantity > 0),
  price           bigint NOT NULL CHECK (price > 0),
  commission      bigint NOT NULL CHECK (commission >= 0),
  tax             bigint NOT NULL CHECK (tax >= 0),
  source          text NOT NULL CHECK (source IN ('NOTICE', 'REST')),
  ts_event        timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT fills_venue_fill_key UNIQUE (account_id, trade_date, venue_order_id, trade_id)
);
CREATE INDEX fills_by_order ON fills (client_order_id) WHERE client_order_id IS NOT NULL;
CREATE INDEX fills_by_account_time ON fills (account_id, ts_event);
CREATE TRIGGER fills_append_only BEFORE UPDATE OR DELETE ON fills
  FOR EACH ROW EXECUTE FUNCTION hantu_refuse_change();
CREATE TRIGGER fills_no_truncate BEFORE TRUNCATE ON fills
  FOR EACH STATEMENT EXECUTE FUNCTION hantu_refuse_change();

-- Holdings as the ledger knows them (model/position.ts). `external`: the holding includes shares that
-- changed outside hantu (adopted by reconciliation or filled by an order we did not place).
CREATE TABLE positions (
  account_id      text NOT NULL REFERENCES accounts (id),
  instrument_id   text NOT NULL CHECK (instrument_id ~ '^[0-9A-Z]{6}$'),
  quantity        bigint NOT NULL CHECK (quantity >= 0),
  cost_basis      bigint NOT NULL CHECK (cost_basis >= 0),
  realized_pnl    bigint NOT NULL,
  commission_paid bigint NOT NULL CHECK (commission_paid >= 0),
  tax_paid        bigint NOT NULL CHECK (tax_paid >= 0),
  external        boolean NOT NULL DEFAULT false,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (account_id, instrument_id)
);

-- Cash summary per account: deposit (예수금), D+1 and D+2 settlement cash. Fills move D+2 at once; the
-- deposit and D+1 change at settlement and are adopted from the venue by reconciliation.
CREATE TABLE cash (
  account_id    text PRIMARY KEY REFERENCES accounts (id),
  deposit       bigint NOT NULL,
  settlement_d1 bigint NOT NULL,
  settlement_d2 bigint NOT NULL,
  updated_at    timestamptz NOT NULL
);

-- Venue balance snapshots (holdings + cash) as reported, for audit and comparison.
CREATE TABLE account_snapshots (
  id          bigserial PRIMARY KEY,
  account_id  text NOT NULL REFERENCES accounts (id),
  ts          timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_snapshots_recent ON account_snapshots (account_id, ts DESC);

-- One row per sync run: what was compared, what differed, what was adopted and why. Append-only.
CREATE TABLE reconciliation_reports (
  id          bigserial PRIMARY KEY,
  account_id  text NOT NULL REFERENCES accounts (id),
  kind        text NOT NULL CHECK (kind IN ('STARTUP', 'PERIODIC', 'POST_FILL', 'RECONNECT', 'MANUAL')),
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL CHECK (finished_at >= started_at),
  status      text NOT NULL CHECK (status IN ('MATCHED', 'CORRECTED', 'DIVERGED', 'FAILED')),
  compared    jsonb NOT NULL,
  differences jsonb NOT NULL CHECK (jsonb_typeof(differences) = 'array'),
  adopted     jsonb NOT NULL CHECK (jsonb_typeof(adopted) = 'array'),
  summary     text NOT NULL
);
CREATE INDEX reconciliation_reports_recent ON reconciliation_reports (account_id, finished_at DESC);
CREATE TRIGGER reconciliation_reports_append_only BEFORE UPDATE OR DELETE ON reconciliation_reports
  FOR EACH ROW EXECUTE FUNCTION hantu_refuse_change();
CREATE TRIGGER reconciliation_reports_no_truncate BEFORE TRUNCATE ON reconciliation_reports
  FOR EACH STATEMENT EXECUTE FUNCTION hantu_refuse_change();

-- Who did what, when, with which result. Append-only. The CHECK refuses an account number in the
-- KIS form NNNNNNNN-NN anywhere in the row (the repository masks every known account beforehand).
CREATE TABLE audit_log (
  id     bigserial PRIMARY KEY,
  ts     timestamptz NOT NULL,
  actor  text NOT NULL CHECK (length(actor) > 0),
  action text NOT NULL CHECK (length(action) > 0),
  target text,
  result text NOT NULL CHECK (result IN ('OK', 'DENIED', 'FAILED')),
  detail jsonb NOT NULL,
  CONSTRAINT audit_log_accounts_masked
    CHECK ((actor || ' ' || action || ' ' || coalesce(target, '') || ' ' || result || ' ' || detail::text) !~ '[0-9]{8}-[0-9]{2}')
);
CREATE INDEX audit_log_recent ON audit_log (ts DESC);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION hantu_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION hantu_refuse_change();

-- Last known state of each component (broker session, WebSocket, sync, scheduler, ...).
CREATE TABLE component_status (
  component  text PRIMARY KEY CHECK (length(component) > 0),
  state      text NOT NULL CHECK (state IN ('STARTING', 'UP', 'DEGRADED', 'DOWN', 'STOPPED')),
  detail     text,
  updated_at timestamptz NOT NULL
);
