#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 --heap-growing-percent=20
// Entry point of the `hantu` command. Runs the compiled build in dist/ (`npm run build`, which
// `npm ci` runs through `prepare`) when it was built from exactly the sources next to it; otherwise
// the TypeScript sources through tsx's loader (a runtime dependency), so that a developer who edited
// a file never runs stale code and `npm ci --ignore-scripts` still gives a working command.
// The check is a fingerprint of the sources (sizes and mtimes, then contents if those differ)
// against the one the build recorded: see scripts/dist-fingerprint.mjs (10–20 ms on the 2-CPU dev VM;
// the compiled start saves more than a second of loading through tsx).
//
// HANTU_DIST=1 requires dist/ (fails when it is missing, warns when stale: deployments that must
// never fall back to the 100+ MB tsx loader); HANTU_DIST=0 always runs the sources.
import { distState } from '../scripts/dist-fingerprint.mjs';

const mode = process.env['HANTU_DIST'];
let useDist = false;
if (mode !== '0') {
  const d = distState();
  if (d.state === 'fresh') useDist = true;
  else if (mode === '1') {
    if (d.state === 'missing') {
      console.error(`hantu: HANTU_DIST=1 but the compiled build is missing: ${d.reason}`);
      process.exit(2);
    }
    console.error(`hantu: warning: running a stale compiled build (HANTU_DIST=1): ${d.reason}`);
    useDist = true;
  }
}

let main;
if (useDist) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
