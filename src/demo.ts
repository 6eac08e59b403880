import type { SystemCtx } from './context.ts';
import { addMember, createMerchant, findMerchantBySlug } from './modules/tenants/tenants.service.ts';
import { inTransaction } from './platform/db/database.ts';

export const DEMO = {
  slug: 'demo',
  name: '微乐演示店 Weiloop Demo',
  email: 'demo@weiloop.local',
  // A demo login for a local, loopback-only server; documented in the README.
  password: 'weiloop-demo',
} as const;

export interface DemoInfo {
  merchantId: string;
  created: boolean;
}

/** Creates the demo merchant and its owner once; a second run changes nothing. */
export async function seedDemo(ctx: SystemCtx): Promise<DemoInfo> {
  const existing = await findMerchantBySlug(ctx, DEMO.slug);
  if (existing) return { merchantId: existing.id, created: false };
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const merchant = await createMerchant(tx, { slug: DEMO.slug, name: DEMO.name });
    await addMember(
      { ...tx, merchantId: merchant.id },
      { email: DEMO.email, name: '演示店主', password: DEMO.password, role: 'owner' },
    );
    return { merchantId: merchant.id, created: true };
  });
}

export async function isEmptyDatabase(ctx: SystemCtx): Promise<boolean> {
  const row = await ctx.db.selectFrom('merchants').select('id').limit(1).executeTakeFirst();
  return !row;
}
