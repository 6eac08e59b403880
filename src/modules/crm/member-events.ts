import type { Ctx } from '../../context.ts';
import { actorLabel } from '../../platform/auth/roles.ts';
import { newId } from '../../platform/ids.ts';

export const MEMBER = { zh: '会员', en: 'Member' };

/** Adds a timeline event for a member (notes, tag changes, orders, merges). */
export async function addEvent(ctx: Ctx, memberId: string, kind: string, body: Record<string, unknown>) {
  await ctx.db
    .insertInto('crm_events')
    .values({
      id: newId('evt', ctx.now),
      merchant_id: ctx.merchantId,
      member_id: memberId,
      kind,
      body: JSON.stringify(body),
      actor: actorLabel(ctx.actor),
      created_at: ctx.now,
    })
    .execute();
}
