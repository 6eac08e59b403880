import { randomBytes } from 'node:crypto';

// Crockford base32: sortable as text, no ambiguous letters.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

// Random bytes drawn 4 KiB at a time: one call into the CSPRNG per ~256 ids instead of per id.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function encodeRandom(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  let out = '';
  for (let i = poolOffset; i < poolOffset + bytes; i++) out += ALPHABET[pool[i]! & 31];
  poolOffset += bytes;
  return out;
}

/** The smallest id with this prefix created at or after `ms`: for range scans by time on the id. */
export function idFloor(prefix: string, ms: number): string {
  return `${prefix}_${encodeTime(ms)}`;
}

/**
 * A prefixed, time-sortable id such as `ord_01JD3…`: 48 bits of milliseconds then 80 random
 * bits, so ids a fan can see are never guessable from a neighbour's.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const time = encodeTime(now);
  // Ids made in one process within a millisecond still sort in the order they were made (event
  // logs stay in order): the high half of the random part counts up. The low 40 bits stay fresh,
  // so a neighbour's id cannot be guessed from one's own.
  if (time === lastTime) {
    lastHigh = increment(lastHigh);
  } else {
    lastTime = time;
    lastHigh = encodeRandom(8);
  }
  return `${prefix}_${time}${lastHigh}${encodeRandom(8)}`;
}

let lastTime = '';
let lastHigh = '';

function increment(random: string): string {
  const chars = random.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const index = ALPHABET.indexOf(chars[i]!);
    if (index < 31) {
      chars[i] = ALPHABET[index + 1]!;
      return chars.join('');
    }
    chars[i] = '0';
  }
  return encodeRandom(8);
}

/** A random secret for tokens and cookies: 32 bytes, url-safe. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
