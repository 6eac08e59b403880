import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { insertRows } from './bulk-insert.ts';

let t: TestApp;
let merchantId: string;

beforeAll(async () => {
  t = await createTestApp();
  merchantId = (await t.merchant('bulk')).id;
});
afterAll(() => t.close());

describe('bulk insert', () => {
  const identity = (value: string, member: string) => [merchantId, 'phone', value, member, 1];
  const columns = ['merchant_id', 'kind', 'value', 'member_id', 'created_at'];

  it('skips rows whose key exists and inserts the rest, past one statement per batch', async () => {
    const { db, dialect } = t.system();
    await insertRows(db, dialect, {
      table: 'crm_identities',
      columns,
      rows: [identity('13800000000', 'mem_first')],
    });
    // More rows than one SQLite statement (500) or PostgreSQL array batch takes at once.
    const rows = Array.from({ length: 5_200 }, (_, i) =>
      identity(`138${String(i).padStart(8, '0')}`, `mem_${i}`),
    );
    await insertRows(db, dialect, {
      table: 'crm_identities',
      columns,
      rows,
      skipExistingOn: ['merchant_id', 'kind', 'value'],
    });
    const stored = await db
      .selectFrom('crm_identities')
      .select(['value', 'member_id'])
      .where('merchant_id', '=', merchantId)
      .orderBy('value')
      .execute();
    expect(stored).toHaveLength(5_200);
    expect(stored[0]).toEqual({ value: '13800000000', member_id: 'mem_first' });
    expect(stored.at(-1)).toEqual({ value: '13800005199', member_id: 'mem_5199' });
  });

  it('keeps nulls and numbers as they are', async () => {
    const { db, dialect } = t.system();
    const id = newId('mem');
    await insertRows(db, dialect, {
      table: 'crm_members',
      columns: [
        'id',
        'merchant_id',
        'name',
        'phone',
        'attrs',
        'order_count',
        'spend',
        'created_at',
        'updated_at',
      ],
      rows: [[id, merchantId, '空手机', null, '{}', 0, 12_345, 1, 2]],
    });
    const member = await db
      .selectFrom('crm_members')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(member).toMatchObject({ name: '空手机', phone: null, spend: 12_345, updated_at: 2 });
  });

  it('still refuses a tag link to a tag that does not exist: the batch rolls back', async () => {
    const { db, dialect } = t.system();
    const link = (tag: string) => [merchantId, 'mem_x', tag, 0, 1];
    const attempt = inTransaction(db, async (trx) => {
      await insertRows(trx, dialect, {
        table: 'crm_member_tags',
        columns: ['merchant_id', 'member_id', 'tag_id', 'synced', 'created_at'],
        rows: [link('tag_missing')],
        skipExistingOn: ['member_id', 'tag_id'],
      });
    });
    await expect(attempt).rejects.toThrow(/foreign key/i);
    expect(
      await db.selectFrom('crm_member_tags').select('tag_id').where('member_id', '=', 'mem_x').execute(),
    ).toEqual([]);
  });

  it('refuses a row with an empty value rather than dropping it while skipping on the key', async () => {
    const { db, dialect } = t.system();
    await expect(
      insertRows(db, dialect, {
        table: 'crm_identities',
        columns,
        rows: [identity('13900000001', 'mem_ok'), [merchantId, 'phone', '13900000002', null, 1]],
        skipExistingOn: ['merchant_id', 'kind', 'value'],
      }),
    ).rejects.toThrow();
  });
});
