import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { inTransaction } from '../db/database.ts';
import type { MasterKey } from './master-key.ts';
import type { VaultTables } from './vault.schema.ts';

const PREFIX = 'wl1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function encrypt(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function decrypt(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/**
 * Envelope encryption of secret columns (AES-256-GCM): each merchant's secrets are sealed with the
 * merchant's own data key, which is stored only wrapped by the master key. A stolen database (or
 * backup) holds no secret in clear; rotating the master key re-wraps data keys, not every value.
 */
export interface Vault {
  seal(merchantId: string, plaintext: string): Promise<string>;
  /** The secret; a value stored before encryption existed is returned as it is. */
  open(merchantId: string, stored: string): Promise<string>;
  isSealed(stored: string): boolean;
  /** Re-wraps every data key with `next`; returns how many. */
  rewrap(next: MasterKey, now: number): Promise<number>;
}

export function createVault(
  db: Kysely<VaultTables>,
  masterKeys: readonly MasterKey[],
  now: () => number,
): Vault {
  const current = masterKeys[0];
  if (!current) throw new Error('no master key');
  const wrapWith = current;
  const byId = new Map(masterKeys.map((k) => [k.id, k]));
  const dataKeys = new Map<string, Buffer>();

  const unwrap = (merchantId: string, row: { wrapped_key: string; master_key_id: string }) => {
    const master = byId.get(row.master_key_id);
    if (!master)
      throw new Error(
        `the data key of ${merchantId} was wrapped by master key ${row.master_key_id}, which this process does not have (WEILOOP_MASTER_KEY or the key file)`,
      );
    return decrypt(master.key, row.wrapped_key, `data-key:${merchantId}`);
  };

  async function dataKey(merchantId: string): Promise<Buffer> {
    const cached = dataKeys.get(merchantId);
    if (cached) return cached;
    let row = await db
      .selectFrom('data_keys')
      .select(['wrapped_key', 'master_key_id'])
      .where('merchant_id', '=', merchantId)
      .executeTakeFirst();
    if (!row) {
      // Two first seals at once: one insert wins, both then use the winner's key.
      await db
        .insertInto('data_keys')
        .values({
          merchant_id: merchantId,
          wrapped_key: encrypt(wrapWith.key, randomBytes(32), `data-key:${merchantId}`),
          master_key_id: wrapWith.id,
          created_at: now(),
          rotated_at: null,
        })
        .onConflict((oc) => oc.column('merchant_id').doNothing())
        .execute();
      row = await db
        .selectFrom('data_keys')
        .select(['wrapped_key', 'master_key_id'])
        .where('merchant_id', '=', merchantId)
        .executeTakeFirstOrThrow();
    }
    const key = unwrap(merchantId, row);
    dataKeys.set(merchantId, key);
    return key;
  }

  return {
    isSealed: (stored) => stored.startsWith(PREFIX),
    async seal(merchantId, plaintext) {
      return PREFIX + encrypt(await dataKey(merchantId), Buffer.from(plaintext), `secret:${merchantId}`);
    },
    async open(merchantId, stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      return decrypt(
        await dataKey(merchantId),
        stored.slice(PREFIX.length),
        `secret:${merchantId}`,
      ).toString();
    },
    async rewrap(next, at) {
      const rows = await db.selectFrom('data_keys').selectAll().execute();
      return inTransaction(db, async (trx) => {
        for (const row of rows) {
          const key = unwrap(row.merchant_id, row);
          await trx
            .updateTable('data_keys')
            .set({
              wrapped_key: encrypt(next.key, key, `data-key:${row.merchant_id}`),
              master_key_id: next.id,
              rotated_at: at,
            })
            .where('merchant_id', '=', row.merchant_id)
            .execute();
        }
        return rows.length;
      });
    },
  };
}
