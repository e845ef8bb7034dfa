import type { Logger } from '../../core/logger.ts';
import { notificationBody } from '../format.ts';
import type { Notification, Priority } from '../notifications.ts';
import type { NotificationChannel } from '../notifier.ts';

const LEVEL: Readonly<Record<Priority, 'error' | 'warn' | 'info' | 'debug'>> = {
  emergency: 'error',
  high: 'warn',
  normal: 'info',
  low: 'debug',
};

/**
 * Writes notifications to the structured log (pino): level by priority (emergency → error, high → warn,
 * normal → info, low → debug), the notification's fields under `notification`, and the key=value body
 * as the message. The logger's redaction applies.
 */
export class LogNotifier implements NotificationChannel {
  readonly name = 'log';
  readonly minPriority?: Priority;
  readonly #logger: Logger;

  constructor(logger: Logger, opts: { readonly minPriority?: Priority } = {}) {
    this.#logger = logger;
    if (opts.minPriority !== undefined) this.minPriority = opts.minPriority;
  }

  send(n: Notification): Promise<void> {
    this.#logger[LEVEL[n.priority]]({ notification: n }, `${n.type} ${notificationBody(n)}`);
    return Promise.resolve();
  }
}
