#!/usr/bin/env node
// Adds the lockfile entries npm leaves out when the registry it can reach lacks a package's
// non-Linux platform binaries (this project's machines reach a registry mirror that serves only
// the Linux builds of @rollup/rollup-*). Without them `npm ci` refuses the lock ("Missing: … from
// lock file"). Each added entry carries the package's os/cpu/libc, is optional, and has no
// integrity: npm skips it on other platforms and fetches it by name where it applies.
// Run after any `npm install` that rewrites package-lock.json:  node scripts/lockfile-platform-entries.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const pkgs = lock.packages;

function platformOf(name) {
  const tail = name.split('/').pop().replace(/^rollup-/, '');
  const [os, cpuRaw, abi] = tail.split('-');
  const cpu = cpuRaw === 'arm' ? 'arm' : cpuRaw;
  const out = { os: [os], cpu: [cpu] };
  if (os === 'linux' && abi) out.libc = [abi.startsWith('musl') ? 'musl' : 'glibc'];
  return out;
}

let added = 0;
for (const meta of Object.values(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (!dep.startsWith('@rollup/rollup-')) continue;
    const key = `node_modules/${dep}`;
    if (pkgs[key]) continue;
    pkgs[key] = { version, ...platformOf(dep), dev: meta.dev ?? undefined, optional: true, license: 'MIT' };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: ${added} platform entries added`);
