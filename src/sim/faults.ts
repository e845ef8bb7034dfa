/**
 * A small scriptable fault table for tests: "the next N requests matching X get fault Y". The full
 * fault DSL comes later; this covers what the REST client's error paths need now.
 *
 * Phases: `before` (default) replaces the request before any processing — the request has no effect;
 * `after` lets the request run (an order IS placed) and then replaces the answer — the case that makes
 * a client's outcome unknown.
 */

/** What happens to a matched request. */
export type SimFaultAction =
  /** HTTP 500 with a KIS envelope, EGW00002 (server error). */
  | { readonly kind: 'http-500' }
  /** HTTP 500 EGW00201 (rate limit), whatever the real budget says. */
  | { readonly kind: 'rate-limit' }
  /** Any status and JSON body (default body: EGW00002 envelope). */
  | { readonly kind: 'status'; readonly status: number; readonly body?: unknown }
  /** Waits `ms` of the twin's clock (a TestClock must be advanced), then answers normally. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Destroys the socket without an answer. */
  | { readonly kind: 'drop' };

/** Which requests a rule applies to; every given field must match. */
export interface SimFaultMatch {
  /** Exact path (no query) or a pattern, e.g. '/uapi/domestic-stock/v1/trading/order-cash'. */
  readonly path?: string | RegExp;
  readonly method?: string;
  readonly trId?: string;
  readonly appKey?: string;
}

export interface SimFaultRule extends SimFaultMatch {
  readonly action: SimFaultAction;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  readonly times?: number;
  readonly phase?: 'before' | 'after';
}

/** What a request is matched on. */
export interface SimRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly trId: string;
  readonly appKey: string;
}

interface LiveRule {
  readonly rule: SimFaultRule;
  remaining: number;
}

/** Handle of an added rule. */
export interface SimFaultHandle {
  /** Matching requests still to be faulted. */
  readonly remaining: number;
  remove(): void;
}

/** The fault table (`server.state.faults`). Rules are tried in the order they were added. */
export class SimFaultTable {
  private rules: LiveRule[] = [];
  /** Every fault fired so far, in order. */
  readonly fired: { readonly action: SimFaultAction; readonly request: SimRequestInfo; readonly phase: 'before' | 'after' }[] = [];

  /** Adds a rule; returns a handle to inspect or remove it. */
  add(rule: SimFaultRule): SimFaultHandle {
    const live: LiveRule = { rule, remaining: rule.times ?? 1 };
    this.rules.push(live);
    return {
      get remaining() {
        return live.remaining;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== live);
      },
    };
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** Takes (consumes one use of) the first rule of `phase` matching the request. */
  take(req: SimRequestInfo, phase: 'before' | 'after'): SimFaultAction | undefined {
    for (const live of this.rules) {
      const r = live.rule;
      if ((r.phase ?? 'before') !== phase || live.remaining <= 0) continue;
      if (r.method && r.method.toUpperCase() !== req.method.toUpperCase()) continue;
      if (r.trId && r.trId !== req.trId) continue;
      if (r.appKey && r.appKey !== req.appKey) continue;
      if (r.path !== undefined && (typeof r.path === 'string' ? r.path !== req.path : !r.path.test(req.path))) continue;
      live.remaining -= 1;
      if (live.remaining <= 0) this.rules = this.rules.filter((x) => x !== live);
      this.fired.push({ action: r.action, request: req, phase });
      return r.action;
    }
    return undefined;
  }
}
