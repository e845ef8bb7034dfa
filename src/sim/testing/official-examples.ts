/**
 * Reads the official KIS response examples (shared/data/kis/kis_official_doc_examples.json) and
 * extracts key sets from them. Some examples are elided or cut and are not valid JSON, so keys are
 * read with a small tolerant scanner rather than JSON.parse.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the examples file is expected (override with env KIS_EXAMPLES_JSON). */
export const OFFICIAL_EXAMPLES_PATH =
  process.env['KIS_EXAMPLES_JSON'] ?? fileURLToPath(new URL('../../../../shared/data/kis/kis_official_doc_examples.json', import.meta.url));

interface Example {
  readonly url: string;
  readonly method: string;
  readonly response_example: string;
}

/** The examples, or undefined when the file is absent. */
export function loadOfficialExamples(): readonly Example[] | undefined {
  if (!existsSync(OFFICIAL_EXAMPLES_PATH)) return undefined;
  const doc = JSON.parse(readFileSync(OFFICIAL_EXAMPLES_PATH, 'utf8')) as { examples: Example[] };
  return doc.examples;
}

/** The response example text of the endpoint at exactly `path`. */
export function exampleFor(examples: readonly Example[], path: string): string | undefined {
  return examples.find((e) => e.url === path)?.response_example;
}

/** Keys at depth 1 of the object whose `{` is at `start` (strings and nesting respected). */
function keysOfObjectAt(text: string, start: number): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = text.slice(i + 1, j);
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k] ?? '')) k++;
      if (depth === 1 && text[k] === ':') keys.push(s);
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) break;
    }
  }
  return keys;
}

/** Top-level keys of an example. */
export function topKeys(text: string): string[] {
  return keysOfObjectAt(text, text.indexOf('{'));
}

/** Keys of the object `section` (or its first element when it is an array). */
export function sectionKeys(text: string, section: string): string[] {
  const m = new RegExp(`"${section}"\\s*:`).exec(text);
  if (!m) throw new Error(`no section ${section}`);
  return keysOfObjectAt(text, text.indexOf('{', m.index + m[0].length));
}
