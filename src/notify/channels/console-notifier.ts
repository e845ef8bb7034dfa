import { formatNotification } from '../format.ts';
import type { Notification, Priority } from '../notifications.ts';
import type { NotificationChannel } from '../notifier.ts';

/** Options of {@link ConsoleNotifier}. */
export interface ConsoleNotifierOptions {
  /** Where a line goes (without trailing newline); default writes to stdout. */
  readonly write?: (line: string) => void;
  readonly minPriority?: Priority;
}

/**
 * Writes one readable line per notification (see `formatNotification`) through an injected writer.
 * A batch is written as consecutive lines.
 */
export class ConsoleNotifier implements NotificationChannel {
  readonly name = 'console';
  readonly minPriority?: Priority;
  readonly #write: (line: string) => void;

  constructor(opts: ConsoleNotifierOptions = {}) {
    this.#write = opts.write ?? ((line) => process.stdout.write(`${line}\n`));
    if (opts.minPriority !== undefined) this.minPriority = opts.minPriority;
  }

  send(n: Notification): Promise<void> {
    this.#write(formatNotification(n));
    return Promise.resolve();
  }
}
