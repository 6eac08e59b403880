import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface MasterKey {
  /** A fingerprint, stored beside what the key wraps; never the key. */
  id: string;
  key: Buffer;
}

export interface MasterKeySource {
  /** WEILOOP_MASTER_KEY: 32 bytes as base64 or hex. */
  env: string | null;
  /** Where the key lives when the environment does not give it (created 0600 on first start). */
  file: string;
}

export class MasterKeyError extends Error {}

export function parseMasterKey(raw: string): MasterKey {
  const text = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new MasterKeyError('the master key must be 32 bytes, given as base64 or 64 hex digits');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export const newMasterKeyText = () => randomBytes(32).toString('base64');

const nextFile = (file: string) => `${file}.next`;

/**
 * The master keys this process may unwrap with: the configured one, and a rotation's new key
 * left by an interrupted `weiloop keys rotate` (so its half-finished work stays readable).
 * Without WEILOOP_MASTER_KEY, a key file is created on first start, readable by its owner only.
 */
export function loadMasterKeys(source: MasterKeySource): MasterKey[] {
  const keys: MasterKey[] = [];
  if (source.env) keys.push(parseMasterKey(source.env));
  else {
    if (!existsSync(source.file)) {
      mkdirSync(dirname(source.file), { recursive: true });
      try {
        writeFileSync(source.file, `${newMasterKeyText()}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another process started at the same moment and wrote it first: use that one.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    keys.push(parseMasterKey(readFileSync(source.file, 'utf8')));
  }
  if (existsSync(nextFile(source.file)))
    keys.push(parseMasterKey(readFileSync(nextFile(source.file), 'utf8')));
  return keys;
}

/** Writes the rotation's new key beside the current one before anything is re-wrapped with it. */
export function stageNextKey(source: MasterKeySource, text: string): void {
  writeFileSync(nextFile(source.file), `${text}\n`, { mode: 0o600 });
}

/** After the re-wrap committed: the new key becomes the key file, the old one is kept as `.old`. */
export function promoteNextKey(source: MasterKeySource): void {
  if (existsSync(source.file)) renameSync(source.file, `${source.file}.old`);
  renameSync(nextFile(source.file), source.file);
}
