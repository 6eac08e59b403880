// Distribution benchmark: N paid orders (default 100,000) from buyers bound to distributors in a
// two-level tree, through the real commission code (accrueCommissions: bindings, rules, the paid
// amount after discounts, two levels), then the refund window closes and settleCommissions moves
// every commission into the ledger; then each distributor withdraws part of the balance. Checks
// the ledger: each distributor's balance equals its ledger's sum, and the ledger's total equals
// the settled commissions minus what was withdrawn. The reference is the same number of
// commission rows written straight in batches of 500 (no rules, no bindings), measured in the run.
//   npm run bench -- distribution   BENCH_SCALE=0.1 for 10,000 orders; BENCH_CONCURRENCY (8);
//                                   BENCH_DATABASE_URL=postgres://… for PostgreSQL
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Ctx } from '../src/context.ts';
import type { DB } from '../src/database.ts';
import type { AppDeps } from '../src/deps.ts';
import { migrations } from '../src/migrations.ts';
import {
  accrueCommissions,
  reconcileLedger,
  requestWithdrawal,
  saveDistSettings,
  settleCommissions,
} from '../src/modules/growth/index.ts';
import type { OrderView } from '../src/modules/orders/index.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ORDERS = Math.max(100, Math.round(100_000 * SCALE));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ROOTS = Math.max(10, Math.round(100 * SCALE));
const CHILDREN = ROOTS * 9;
const BUYERS = Math.max(100, Math.round(20_000 * SCALE));
const DAY = 86_400_000;
const ACCOUNT = 'acc_bench';

const url = process.env.BENCH_DATABASE_URL;
let schema = '';
if (url) {
  schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
}
const database = openDatabase<DB>(
  url
    ? { kind: 'postgres', url, schema }
    : { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'weiloop-distribution-')), 'd.db') },
);
const db = database.db;
await migrateToLatest(db as Kysely<unknown>, migrations);
const start = Date.now();
const merchantId = newId('mch', start);
await db
  .insertInto('merchants')
  .values({ id: merchantId, slug: 'dist-bench', name: 'bench', timezone: 'Asia/Shanghai', created_at: start })
  .execute();
const deps = { wakeJobs() {} } as unknown as AppDeps;
const ctxAt = (now: number): Ctx => ({
  db,
  dialect: database.dialect,
  merchantId,
  actor: { kind: 'system' },
  now,
  deps,
});
await saveDistSettings(ctxAt(start), {
  enabled: true,
  join_mode: 'open',
  levels: 2,
  binding_days: 0,
  rebind_after_expiry: false,
  refund_window_days: 7,
  default_kind: 'percent',
  default_level1: 1000,
  default_level2: 500,
  min_withdrawal: 100,
  burst_buyers: 0,
  burst_minutes: 10,
});

// The tree and the bindings, as joining and referral links would have written them.
const distributor = (i: number, parent: string | null) => ({
  id: newId('dst', start),
  merchant_id: merchantId,
  account_id: ACCOUNT,
  openid: `o_dist_${i}`,
  code: `code${i}`,
  status: 'active' as const,
  via: 'open' as const,
  parent_id: parent,
  balance: 0,
  qrcode_id: null,
  scene: null,
  qr_url: null,
  note: '',
  flagged: 0,
  flag_reason: null,
  created_at: start,
  approved_at: start,
  updated_at: start,
});
const roots = Array.from({ length: ROOTS }, (_, i) => distributor(i, null));
const children = Array.from({ length: CHILDREN }, (_, i) => distributor(ROOTS + i, roots[i % ROOTS]!.id));
const everyone = [...roots, ...children];
for (let i = 0; i < everyone.length; i += 500)
  await db
    .insertInto('growth_distributors')
    .values(everyone.slice(i, i + 500))
    .execute();
const bindings = Array.from({ length: BUYERS }, (_, i) => ({
  id: newId('dbd', start),
  merchant_id: merchantId,
  account_id: ACCOUNT,
  openid: `o_buyer_${i}`,
  // Most buyers come through a second-level distributor (two commissions), some through a root.
  distributor_id: (i % 10 === 0 ? roots[i % ROOTS]! : children[i % CHILDREN]!).id,
  source: 'link' as const,
  bound_at: start,
  expires_at: null,
  created_at: start,
}));
for (let i = 0; i < bindings.length; i += 500)
  await db
    .insertInto('growth_dist_bindings')
    .values(bindings.slice(i, i + 500))
    .execute();

// Orders as the paid event delivers them: 1–3 lines, some with a coupon's discount.
const orderOf = (n: number): OrderView => {
  const lines = 1 + (n % 3);
  const items = Array.from({ length: lines }, (_, l) => {
    const price = 1_000 + ((n * 7 + l * 13) % 50) * 100;
    const quantity = 1 + ((n + l) % 2);
    return {
      id: `oi_${n}_${l}`,
      product_id: `prd_${(n + l) % 500}`,
      sku_id: `sku_${(n + l) % 500}`,
      title: '商品',
      spec_text: '',
      price,
      quantity,
      subtotal: price * quantity,
    };
  });
  const itemsTotal = items.reduce((s, i) => s + i.subtotal, 0);
  const discount = n % 4 === 0 ? Math.min(500, itemsTotal) : 0;
  return {
    id: `ord_bench_${n}`,
    merchant_id: merchantId,
    account_id: ACCOUNT,
    openid: `o_buyer_${n % BUYERS}`,
    status: 'paid',
    payment_method: 'wechat',
    pickup_store_id: null,
    pickup_code: null,
    collected_at: null,
    collected_by: null,
    items_total: itemsTotal,
    shipping_fee: 0,
    discount,
    total: itemsTotal - discount,
    address: null,
    note: '',
    source: null,
    idempotency_key: null,
    paid_at: start,
    shipped_at: null,
    carrier: null,
    tracking_no: null,
    completed_at: null,
    cancelled_at: null,
    cancel_reason: null,
    reminded_at: null,
    created_at: start,
    updated_at: start,
    items,
  };
};

// Accrue through the real code, CONCURRENCY at a time (as the event workers would).
let next = 0;
let commissions = 0;
const accrueStarted = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (;;) {
      const n = next++;
      if (n >= ORDERS) return;
      const written = await accrueCommissions(ctxAt(start + 1), orderOf(n));
      commissions += written.length;
    }
  }),
);
const accrueMs = performance.now() - accrueStarted;

// The window closes: settle in batches, as the sweep does.
const settleStarted = performance.now();
const later = ctxAt(start + 8 * DAY);
let settled = 0;
for (;;) {
  const moved = await settleCommissions(later, { limit: 1_000 });
  if (moved === 0) break;
  settled += moved;
}
const settleMs = performance.now() - settleStarted;

// Everyone withdraws half of what they have, all at once.
const balances = await db
  .selectFrom('growth_distributors')
  .select(['openid', 'balance'])
  .where('merchant_id', '=', merchantId)
  .execute();
const withdrawals = await Promise.allSettled(
  balances
    .filter((b) => Number(b.balance) >= 200)
    .map((b) =>
      requestWithdrawal(later, { accountId: ACCOUNT, openid: b.openid }, Math.floor(Number(b.balance) / 2)),
    ),
);
const withdrawn = withdrawals.reduce(
  (s, w) => s + (w.status === 'fulfilled' ? Number(w.value.amount) : 0),
  0,
);

const { total: settledTotal } = await db
  .selectFrom('growth_dist_commissions')
  .select((eb) => eb.fn.sum<number>('amount').as('total'))
  .where('merchant_id', '=', merchantId)
  .where('status', '=', 'settled')
  .executeTakeFirstOrThrow();
const reconciled = await reconcileLedger(later);
const { pending } = await db
  .selectFrom('growth_dist_commissions')
  .select((eb) => eb.fn.countAll<number>().as('pending'))
  .where('merchant_id', '=', merchantId)
  .where('status', '=', 'pending')
  .executeTakeFirstOrThrow();

// Reference: the same number of commission rows written straight, no rules or bindings.
const refRows = Array.from({ length: commissions }, (_, i) => ({
  id: newId('ref', start),
  merchant_id: merchantId,
  order_id: `ref_${i}`,
  distributor_id: children[i % CHILDREN]!.id,
  level: 1,
  account_id: ACCOUNT,
  buyer_openid: 'o_ref',
  base: 1_000,
  amount: 100,
  status: 'reversed' as const,
  settle_after: start,
  created_at: start,
  settled_at: null,
  reversed_at: start,
}));
const refStarted = performance.now();
for (let i = 0; i < refRows.length; i += 500)
  await db
    .insertInto('growth_dist_commissions')
    .values(refRows.slice(i, i + 500))
    .execute();
const refMs = performance.now() - refStarted;

process.stdout.write(
  `${JSON.stringify({
    engine: database.dialect,
    orders: ORDERS,
    distributors: everyone.length,
    buyers: BUYERS,
    commissions,
    commissions_settled: settled,
    commissions_pending_after_window: Number(pending),
    accrue_orders_per_s: Math.round(ORDERS / (accrueMs / 1000)),
    settle_per_s: Math.round(settled / (settleMs / 1000)),
    reference_rows_per_s: Math.round(commissions / (refMs / 1000)),
    settled_total_fen: Number(settledTotal ?? 0),
    withdrawn_fen: withdrawn,
    ledger_total_fen: reconciled.ledger,
    balance_total_fen: reconciled.balance,
    ledger_mismatched_distributors: reconciled.mismatched,
    ledger_balanced:
      reconciled.mismatched === 0 &&
      reconciled.ledger === reconciled.balance &&
      reconciled.ledger === Number(settledTotal ?? 0) - withdrawn,
  })}\n`,
);
await database.close();
if (url) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
