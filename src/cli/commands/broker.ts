import type { Command } from 'commander';
import { balance, cancel, orders, placeOrder, quote } from '../../app/broker-service.ts';
import { InputError } from '../../core/errors.ts';
import { kstHhmmss } from '../../core/kst.ts';
import { table, won } from '../format.ts';
import { output, withBroker } from '../session.ts';

const hhmmss = (ms: number) => {
  const s = kstHhmmss(ms);
  return `${s.slice(0, 2)}:${s.slice(2, 4)}:${s.slice(4, 6)}`;
};

/** `hantu quote | balance | order | orders | cancel`: the broker commands (twin by default). */
export function registerBrokerCommands(program: Command): void {
  program
    .command('quote')
    .description('current price, change, daily limits and tick of a stock')
    .argument('<code>', '6-character stock code, e.g. 005930')
    .action((code: string) =>
      withBroker(program, async (s) => {
        const q = await quote(s, code);
        output(program, q, () =>
          [
            `${q.instrumentId} ${q.name}`.trim(),
            `  last      ${won(q.last)}  (${q.change >= 0 ? '+' : ''}${won(q.change)}, ${q.changePercent.toFixed(2)} %)`,
            `  open/high/low  ${won(q.open)} / ${won(q.high)} / ${won(q.low)}`,
            `  volume    ${won(q.volume)} shares, ${won(q.tradedValue)} won`,
            `  limits    ${won(q.lowerLimit)} .. ${won(q.upperLimit)} (base ${won(q.basePrice)}), tick ${won(q.tick)}${q.halted ? '  HALTED' : ''}`,
          ].join('\n'),
        );
      }),
    );

  program
    .command('balance')
    .description('holdings and cash of the account')
    .action(() =>
      withBroker(program, async (s) => {
        const b = await balance(s);
        output(program, b, () => {
          const rows = b.positions.map((p) => [p.instrumentId, p.name, p.quantity, p.sellableQuantity, Math.round(p.averagePrice), p.lastPrice, p.marketValue, p.unrealizedPnl] as (string | number)[]);
          return [
            rows.length ? table(['code', 'name', 'qty', 'sellable', 'avg price', 'last', 'value', 'unrealised'], rows) : '(no holdings)',
            '',
            `cash (deposit) ${won(b.cash.deposit)} won · D+2 ${won(b.cash.settlementD2)} · securities ${won(b.cash.securitiesValue)} · total ${won(b.cash.totalValue)} won`,
          ].join('\n');
        });
      }),
    );

  program
    .command('order')
    .description('send a buy or sell order (limit or market)')
    .argument('<side>', 'buy or sell')
    .argument('<code>', '6-character stock code')
    .argument('<quantity>', 'whole shares')
    .option('--limit <price>', 'limit price in won (must be on the KRX tick grid)')
    .option('--market', 'market order')
    .option('--unchecked', 'twin only: send an off-grid price to see the venue rejection')
    .option('--live', 'required to send an order to a REAL KIS account')
    .action((side: string, code: string, quantity: string, opts: { limit?: string; market?: boolean; unchecked?: boolean; live?: boolean }) =>
      withBroker(program, async (s) => {
        const sd = side.toLowerCase();
        if (sd !== 'buy' && sd !== 'sell') throw new InputError(`side must be buy or sell, was "${side}"`);
        const ack = await placeOrder(s, { side: sd === 'buy' ? 'BUY' : 'SELL', code, quantity, limit: opts.limit, market: opts.market, unchecked: opts.unchecked, live: opts.live });
        output(program, ack, () => `order accepted: no. ${ack.venueOrderId} (branch ${ack.branch}) at ${hhmmss(ack.tsEvent)} KST — ${ack.message.trim()} [${ack.messageCode}]`);
      }),
    );

  program
    .command('orders')
    .description("today's orders and fills")
    .option('--open', 'only orders that can still be cancelled or modified')
    .action((opts: { open?: boolean }) =>
      withBroker(program, async (s) => {
        const list = await orders(s, opts);
        output(program, list, () =>
          list.length === 0
            ? '(no orders today)'
            : table(
                ['no.', 'time', 'code', 'name', 'side', 'type', 'qty', 'price', 'filled', 'avg fill', 'left', 'state'],
                list.map((o) => [
                  o.venueOrderId,
                  hhmmss(o.tsEvent),
                  o.instrumentId,
                  o.name,
                  o.side,
                  o.orderType,
                  o.quantity,
                  o.price,
                  o.filledQuantity,
                  o.averageFillPrice,
                  o.remainingQuantity,
                  o.canceled ? 'canceled' : o.remainingQuantity === 0 && o.filledQuantity === o.quantity ? 'filled' : o.remainingQuantity > 0 ? 'open' : 'closed',
                ]),
              ),
        );
      }),
    );

  program
    .command('cancel')
    .description('cancel an open order by its order number')
    .argument('<order-no>', 'the order number printed by `hantu order` / `hantu orders`')
    .action((no: string) =>
      withBroker(program, async (s) => {
        const ack = await cancel(s, no);
        output(program, ack, () => `cancel accepted: no. ${ack.venueOrderId} — ${ack.message.trim()} [${ack.messageCode}]`);
      }),
    );
}
