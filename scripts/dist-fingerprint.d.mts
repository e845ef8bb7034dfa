// Types of scripts/dist-fingerprint.mjs (for the TypeScript callers: bench/realtime.ts).
export declare const ROOT: string;
export declare const DIST: string;
export declare const STAMP: string;
export declare function buildInputs(root?: string): string[];
export declare function statFingerprint(files: readonly string[], root?: string): string;
export declare function contentFingerprint(files: readonly string[], root?: string): string;
export declare function distState(root?: string): { state: 'fresh' | 'stale' | 'missing'; reason: string };
