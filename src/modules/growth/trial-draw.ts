import { createHash, randomBytes } from 'node:crypto';

/**
 * The trial's fair draw, commit–reveal: a random seed is made when the trial opens and only its
 * sha256 is published; the draw reveals the seed. Each entry's ticket is
 * sha256(`${seed}:${entryId}`) in hex; the `units` lowest tickets win (ties by entry id). Anyone
 * holding the published hash, the revealed seed and the entry list can check the seed against the
 * hash and recompute the winners — the operator could not pick the seed after seeing the entries.
 */
export const DRAW_ALGORITHM =
  'winners = the `units` entries with the lowest sha256_hex(seed + ":" + entry_id), ties by entry_id; seed_hash = sha256_hex(seed)';

export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

export function seedHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

export function ticket(seed: string, entryId: string): string {
  return createHash('sha256').update(`${seed}:${entryId}`).digest('hex');
}

/** The winning entry ids, best ticket first. */
export function drawWinners(seed: string, entryIds: readonly string[], units: number): string[] {
  return entryIds
    .map((id) => ({ id, t: ticket(seed, id) }))
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.id < b.id ? -1 : 1))
    .slice(0, Math.max(0, units))
    .map((e) => e.id);
}
