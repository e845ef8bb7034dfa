import type { Clock, TimerHandle } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { priorityRank, type Notification, type Priority } from './notifications.ts';
import type { NotificationChannel, Notifier } from './notifier.ts';

/** Options of {@link NotificationManager}. */
export interface NotificationManagerOptions {
  readonly channels: readonly NotificationChannel[];
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Batch window per batched priority (ms of the injected clock): the first queued notification of a
   * priority starts the window, and the whole batch is delivered when it ends. Defaults: normal 30 s,
   * low 5 min. `emergency` and `high` are never batched.
   */
  readonly batchWindowMs?: { readonly normal?: number; readonly low?: number };
  /** A batch is delivered early when it reaches this many notifications (default 50). */
  readonly maxBatchSize?: number;
}

type BatchedPriority = 'normal' | 'low';

const DEFAULT_WINDOW_MS: Readonly<Record<BatchedPriority, number>> = { normal: 30_000, low: 300_000 };

/**
 * Fans notifications out to channels. `emergency` and `high` go to every channel at once; `normal` and
 * `low` are collected per priority and delivered together when their batch window ends (on the injected
 * clock) or the batch is full. Each channel is isolated: a channel that throws or rejects is logged and
 * counted, and the others still receive everything; deliveries to different channels run concurrently,
 * so a slow channel does not delay the others. `notify` never throws.
 */
export class NotificationManager implements Notifier {
  readonly #channels: readonly NotificationChannel[];
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #windowMs: Readonly<Record<BatchedPriority, number>>;
  readonly #maxBatch: number;
  readonly #batches: Record<BatchedPriority, Notification[]> = { normal: [], low: [] };
  readonly #timers: Partial<Record<BatchedPriority, TimerHandle>> = {};
  readonly #inFlight = new Set<Promise<void>>();
  readonly #failures = new Map<string, number>();

  constructor(opts: NotificationManagerOptions) {
    this.#channels = [...opts.channels];
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.#windowMs = {
      normal: opts.batchWindowMs?.normal ?? DEFAULT_WINDOW_MS.normal,
      low: opts.batchWindowMs?.low ?? DEFAULT_WINDOW_MS.low,
    };
    this.#maxBatch = Math.max(1, opts.maxBatchSize ?? 50);
  }

  /** Delivers `n` now (emergency, high) or queues it in its priority's batch (normal, low). */
  notify(n: Notification): void {
    try {
      if (n.priority === 'emergency' || n.priority === 'high') {
        this.#deliver([n]);
        return;
      }
      const p: BatchedPriority = n.priority;
      const batch = this.#batches[p];
      batch.push(n);
      if (batch.length >= this.#maxBatch) {
        this.#flushPriority(p);
      } else if (this.#timers[p] === undefined) {
        this.#timers[p] = this.#clock.setTimer(this.#windowMs[p], () => this.#flushPriority(p));
      }
    } catch (err) {
      this.#logger.error({ err, type: n.type }, 'notification manager failed to handle a notification');
    }
  }

  /** Notifications queued and not yet delivered, per batched priority. */
  pending(): { readonly normal: number; readonly low: number } {
    return { normal: this.#batches.normal.length, low: this.#batches.low.length };
  }

  /** Delivery failures counted per channel name since construction. */
  failures(): ReadonlyMap<string, number> {
    return new Map(this.#failures);
  }

  /** Delivers every queued batch now and waits for all deliveries (shutdown, end of day). Never rejects. */
  async flush(): Promise<void> {
    this.#flushPriority('normal');
    this.#flushPriority('low');
    await this.idle();
  }

  /** Waits until every delivery started so far has settled. Never rejects. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  #flushPriority(p: BatchedPriority): void {
    this.#timers[p]?.cancel();
    delete this.#timers[p];
    const batch = this.#batches[p].splice(0);
    if (batch.length > 0) this.#deliver(batch);
  }

  #deliver(batch: readonly Notification[]): void {
    for (const channel of this.#channels) {
      const min = channel.minPriority ?? 'low';
      const mine = batch.filter((n) => priorityRank(n.priority) <= priorityRank(min));
      if (mine.length === 0) continue;
      const task = this.#sendTo(channel, mine);
      this.#inFlight.add(task);
      void task.finally(() => this.#inFlight.delete(task));
    }
  }

  async #sendTo(channel: NotificationChannel, batch: readonly Notification[]): Promise<void> {
    try {
      if (batch.length > 1 && channel.sendBatch) {
        await channel.sendBatch(batch);
      } else {
        for (const n of batch) await channel.send(n);
      }
    } catch (err) {
      this.#failures.set(channel.name, (this.#failures.get(channel.name) ?? 0) + 1);
      this.#logger.error(
        { err, channel: channel.name, types: batch.map((n) => n.type), priority: maxPriority(batch) },
        'notification channel failed to deliver',
      );
    }
  }
}

function maxPriority(batch: readonly Notification[]): Priority {
  return batch.reduce<Priority>((best, n) => (priorityRank(n.priority) < priorityRank(best) ? n.priority : best), 'low');
}
