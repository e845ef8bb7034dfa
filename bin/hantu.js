#!/usr/bin/env node
// Entry point of the `hantu` command. Sources are TypeScript, run through tsx's loader
// (a runtime dependency) so that `npm ci` is the only install step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
