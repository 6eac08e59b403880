import { createHash, timingSafeEqual } from 'node:crypto';

function sha1OfSorted(parts: string[]): string {
  return createHash('sha1').update(parts.sort().join('')).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The `signature` query parameter: sha1 of token, timestamp and nonce sorted as strings. */
export function callbackSignature(token: string, timestamp: string, nonce: string): string {
  return sha1OfSorted([token, timestamp, nonce]);
}

/** Safe mode's `msg_signature`: the same, with the encrypted payload as a fourth part. */
export function messageSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return sha1OfSorted([token, timestamp, nonce, encrypted]);
}

export function verifyCallbackSignature(
  token: string,
  timestamp: string,
  nonce: string,
  signature: string,
): boolean {
  return safeEqual(callbackSignature(token, timestamp, nonce), signature);
}

export function verifyMessageSignature(
  token: string,
  timestamp: string,
  nonce: string,
  encrypted: string,
  signature: string,
): boolean {
  return safeEqual(messageSignature(token, timestamp, nonce, encrypted), signature);
}
