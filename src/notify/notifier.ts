import type { Notification, Priority } from './notifications.ts';

/**
 * The port engines use to tell a human something. Fire-and-forget: `notify` never throws and never
 * waits for delivery, so a slow or broken channel cannot delay a trading decision. Implemented by
 * `NotificationManager` (production) and by recording fakes in tests.
 */
export interface Notifier {
  /** Queues or delivers `n`; returns at once. Must not throw. */
  notify(n: Notification): void;
}

/**
 * A delivery channel (console, log, Telegram, Slack…). A channel formats notifications itself and owns
 * its timeouts. A rejected promise (or a synchronous throw) is logged by the manager and never reaches
 * other channels.
 */
export interface NotificationChannel {
  /** Short name for logs (`console`, `log`, `telegram`). */
  readonly name: string;
  /** Delivers one notification. */
  send(n: Notification): Promise<void>;
  /**
   * Delivers a batch of low/normal notifications in one message when the channel can (e.g. one chat
   * message). Optional: without it the manager calls `send` for each, in order.
   */
  sendBatch?(batch: readonly Notification[]): Promise<void>;
  /** Least urgent priority this channel receives (default `low`: everything). */
  readonly minPriority?: Priority;
}
