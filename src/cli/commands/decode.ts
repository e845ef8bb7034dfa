import type { Command } from 'commander';
import { decodeFrame } from '../../node/tools.ts';

/** `hantu decode '<frame>' [--key K --iv IV]`: a KIS WebSocket frame decoded as JSON. */
export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode a KIS WebSocket frame (data, PINGPONG or ack) with the daemon\'s parser')
    .argument('<frame>', "the raw frame, e.g. '0|H0STCNT0|001|005930^093354^…'")
    .option('--key <key>', 'AES key (32 chars) from the subscribe ack, for 1|… frames')
    .option('--iv <iv>', 'AES iv (16 chars) from the subscribe ack')
    .action((frame: string, opts: { key?: string; iv?: string }) => {
      const aes = opts.key && opts.iv ? { key: opts.key, iv: opts.iv } : undefined;
      console.log(JSON.stringify(decodeFrame(frame, aes), null, 2));
    });
}
