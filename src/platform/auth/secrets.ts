import { createHash } from 'node:crypto';

/** Tokens are stored as their SHA-256: a leaked table grants nothing. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
