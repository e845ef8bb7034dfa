/**
 * The daemon's memory budget (issue 3: ≤ 100 MB with 100 symbols) depends on packages it loads only
 * when they are used: the twin's servers (fastify), each database driver (PGlite, pg), the indicator
 * library (trading-signals). This walks the STATIC import graph of `hantu run` (the CLI entry and
 * run-node, following relative imports; `import type` and dynamic `import()` do not load anything at
 * start) and fails when one of those packages became a static import again, naming the path to it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRIES = ['src/cli/main.ts', 'src/node/run-node.ts'];
/** Loaded on demand only (see src/node/twin-node.ts, src/persistence/db.ts, src/core/indicators.ts). */
const ON_DEMAND = ['fastify', '@electric-sql/pglite', 'pg', 'trading-signals'];
/** Removed from the project: the KIS REST sender is on node:http (src/adapters/kis/http/sender.ts). */
const GONE = ['undici'];

/** Static value imports and re-exports of a TypeScript source (type-only ones excluded). */
function staticImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) out.push(m[1]!);
  return out;
}

/** Every package reached through static imports from the entries, with the chain of files that reaches it. */
function reachedPackages(): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const queue: { file: string; chain: string[] }[] = ENTRIES.map((e) => ({ file: join(ROOT, e), chain: [e] }));
  while (queue.length > 0) {
    const { file, chain } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const next = resolve(dirname(file), spec);
        queue.push({ file: next, chain: [...chain, relative(ROOT, next)] });
      } else if (!spec.startsWith('node:')) {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!packages.has(pkg)) packages.set(pkg, chain);
      }
    }
  }
  return packages;
}

describe('the static import graph of hantu run', () => {
  const reached = reachedPackages();

  it('reaches the packages the daemon always needs (the walk works)', () => {
    expect([...reached.keys()]).toEqual(expect.arrayContaining(['zod', 'ws', 'commander']));
  });

  it.each([...ON_DEMAND, ...GONE])('does not load %s at start', (pkg) => {
    expect(reached.get(pkg), `${pkg} is statically imported via ${reached.get(pkg)?.join(' → ')}`).toBeUndefined();
  });
});
