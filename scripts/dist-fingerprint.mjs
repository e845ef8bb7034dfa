// Decides whether the compiled build in dist/ is the build of the sources next to it. Shared by
// scripts/build.mjs (which writes the stamp) and bin/hantu.js (which reads it at every start).
//
// The stamp (dist/.build-stamp.json, written last by the build, so a half-written dist/ has none)
// records two fingerprints of the build's inputs — every file under src/ except tests and test
// helpers, plus tsconfig.json and tsconfig.build.json:
//   - `stat`: a hash of (path, size, mtime) of each input. Cheap: one folder walk and ~160 stats
//     (10–20 ms on the 2-CPU dev VM, cold). Equal → fresh. Any edit, added, removed or renamed file
//     changes it.
//   - `content`: a hash of (path, bytes) of each input. Computed only when the stat fingerprint
//     differs (a `touch`, a checkout of the same content, a copy or an npm tarball that resets
//     mtimes): equal → still fresh; different → stale.
// Never compares mtimes by order, so a file replaced by an *older* copy is caught too.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json, src/ and dist/). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
export const STAMP = join(DIST, '.build-stamp.json');

/** Paths (relative to the root, `/`-separated) that tsconfig.build.json leaves out of the build. */
function excluded(rel) {
  return rel.endsWith('.test.ts') || rel.includes('/testing/') || rel.endsWith('/test-support.ts');
}

/** The build's input files, sorted, as absolute paths. */
export function buildInputs(root = ROOT) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile() && !excluded(relative(root, abs).split(sep).join('/'))) out.push(abs);
    }
  };
  walk(join(root, 'src'));
  out.push(join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'));
  return out.sort();
}

/** Hash of (path, size, mtime in ms) of each input. */
export function statFingerprint(files, root = ROOT) {
  const h = createHash('sha256');
  for (const f of files) {
    const s = statSync(f);
    h.update(`${relative(root, f)}\0${s.size}\0${Math.trunc(s.mtimeMs)}\n`);
  }
  return h.digest('hex');
}

/** Hash of (path, bytes) of each input. */
export function contentFingerprint(files, root = ROOT) {
  const h = createHash('sha256');
  for (const f of files) {
    const bytes = readFileSync(f);
    h.update(`${relative(root, f)}\0${bytes.length}\n`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/**
 * State of dist/: `fresh` (built from exactly these sources), `stale` (sources changed since),
 * `missing` (never built, or the build did not finish), with the reason in words.
 * @returns {{ state: 'fresh' | 'stale' | 'missing', reason: string }}
 */
export function distState(root = ROOT) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, 'dist', '.build-stamp.json'), 'utf8'));
  } catch {
    return { state: 'missing', reason: 'no dist/.build-stamp.json (run `npm run build`)' };
  }
  let files;
  try {
    files = buildInputs(root);
    if (statFingerprint(files, root) === stamp.stat) return { state: 'fresh', reason: 'sources unchanged (size and mtime)' };
    if (contentFingerprint(files, root) === stamp.content) return { state: 'fresh', reason: 'sources unchanged (content)' };
  } catch (e) {
    return { state: 'stale', reason: `cannot fingerprint the sources: ${e.message}` };
  }
  return { state: 'stale', reason: 'sources changed since the build (run `npm run build`)' };
}
