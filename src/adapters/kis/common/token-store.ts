import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { unixMillis, type UnixMillis } from '../../../core/brand.ts';
import { kstInstant } from '../../../core/kst.ts';
import { Secret } from './credentials.ts';

/**
 * An access token as issued by POST /oauth2/tokenP (kis-protocol.md §2.1).
 * `expiresAt` comes from `access_token_token_expired` (absolute KST time), not from `expires_in`.
 */
export interface AccessToken {
  readonly token: Secret;
  /** Instant the token stops working (epoch ms). */
  readonly expiresAt: UnixMillis;
  /** Instant we received it (epoch ms, injected clock). */
  readonly issuedAt: UnixMillis;
  /** REST base URL it was issued by: a token from another host is never reused. */
  readonly baseUrl: string;
}

/**
 * Parses `access_token_token_expired` ("YYYY-MM-DD HH:MM:SS", KST) into an instant.
 * @throws RangeError on a malformed value
 */
export function parseTokenExpiry(s: string): UnixMillis {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(s.trim());
  if (!m) throw new RangeError('access_token_token_expired must be "YYYY-MM-DD HH:MM:SS"');
  return kstInstant(m[1]!, m[2]!);
}

interface TokenFileV1 {
  version: 1;
  appKeyFingerprint: string;
  baseUrl: string;
  accessToken: string;
  expiresAt: number;
  issuedAt: number;
}

/**
 * Persists the access token to `<dataDir>/kis-token-<sha256(appkey) first 12 hex>.json` with mode 0600,
 * written atomically (temp file in the same folder, then rename), so a restart does not issue a new
 * token: each issue on a real account sends the owner a KakaoTalk message and is limited to one a
 * minute (kis-protocol.md §2.1). A missing, unreadable or malformed file reads as "no token".
 */
export class TokenFileStore {
  readonly path: string;
  private readonly dir: string;
  private readonly fingerprint: string;

  constructor(dataDir: string, appKeyFingerprint: string) {
    this.dir = dataDir;
    this.fingerprint = appKeyFingerprint;
    this.path = join(dataDir, `kis-token-${appKeyFingerprint}.json`);
  }

  /** Reads the stored token; `undefined` when absent or unusable (the reason goes to `onProblem`). */
  async load(onProblem?: (reason: string) => void): Promise<AccessToken | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onProblem?.(`token file unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
    try {
      const f = JSON.parse(text) as Partial<TokenFileV1>;
      if (
        f.version !== 1 ||
        f.appKeyFingerprint !== this.fingerprint ||
        typeof f.accessToken !== 'string' ||
        f.accessToken === '' ||
        typeof f.baseUrl !== 'string' ||
        !Number.isSafeInteger(f.expiresAt) ||
        !Number.isSafeInteger(f.issuedAt)
      ) {
        onProblem?.('token file has an unexpected shape');
        return undefined;
      }
      return { token: new Secret(f.accessToken), expiresAt: unixMillis(f.expiresAt!), issuedAt: unixMillis(f.issuedAt!), baseUrl: f.baseUrl };
    } catch {
      onProblem?.('token file is not valid JSON');
      return undefined;
    }
  }

  /** Writes the token atomically with mode 0600 (the folder is created with mode 0700 if missing). */
  async save(t: AccessToken): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const body: TokenFileV1 = {
      version: 1,
      appKeyFingerprint: this.fingerprint,
      baseUrl: t.baseUrl,
      accessToken: t.token.reveal(),
      expiresAt: t.expiresAt,
      issuedAt: t.issuedAt,
    };
    const tmp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(body), { mode: 0o600, flag: 'wx' });
      await chmod(tmp, 0o600); // the umask cannot widen 0600, but be explicit
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  /** Deletes the stored token (no error when absent). */
  async remove(): Promise<void> {
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
