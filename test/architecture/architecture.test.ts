import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossModuleAccesses, tableOwners, tablesTouched } from './table-ownership.ts';

const root = join(import.meta.dirname, '..', '..');

describe('table ownership', () => {
  it('each table is declared by exactly one module', () => {
    const { owners, duplicates } = tableOwners(root);
    expect(duplicates).toEqual([]);
    expect(owners.get('orders')).toBe('orders');
    expect(owners.get('payments')).toBe('payments');
    expect(owners.get('official_accounts')).toBe('accounts');
    expect(owners.get('jobs')).toBe('platform');
  });

  it('no module reads or writes a table another module owns', () => {
    expect(crossModuleAccesses(root)).toEqual([]);
  });

  it('sees builder calls, joins and raw SQL', () => {
    const known = new Set(['orders', 'payments', 'followers']);
    const code = [
      "await db.selectFrom('orders').selectAll()",
      "  .innerJoin('payments', 'payments.order_id', 'orders.id')",
      'await sql`update followers set x = 1`.execute(db)',
    ].join('\n');
    expect(tablesTouched(code, known)).toEqual([
      { table: 'orders', line: 1 },
      { table: 'payments', line: 2 },
      { table: 'followers', line: 3 },
    ]);
  });
});
