import { createHash } from 'node:crypto';

/** Tokens are stored as their SHA-256: a leaked table grants nothing. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** How a read API shows a secret: a few characters to recognise it, and a fingerprint to compare. */
export interface SecretHint {
  mask: string;
  fingerprint: string;
}

/**
 * Never the secret itself: its first two and last two characters (when long enough to keep most
 * of it hidden) and the first 8 hex digits of its SHA-256, enough to tell two keys apart.
 */
export function secretHint(secret: string): SecretHint {
  const shown = secret.length >= 16 ? `${secret.slice(0, 2)}…${secret.slice(-2)}` : '…';
  return { mask: shown, fingerprint: createHash('sha256').update(secret).digest('hex').slice(0, 8) };
}
