import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { newId } from '../../platform/ids.ts';
import { MEMBER } from './member-events.ts';
import { mergeMembers } from './merge.service.ts';

/** `openid` identities name the account too: one person has one openid per account. */
export const openidKey = (accountId: string, openid: string) => `${accountId}:${openid}`;

async function ownerOf(ctx: Ctx, kind: string, value: string): Promise<string | undefined> {
  const row = await ctx.db
    .selectFrom('crm_identities')
    .select('member_id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirst();
  return row?.member_id;
}

/**
 * Claims `kind=value` for `memberId`. If another person holds it already, the two are one person:
 * `memberId` is merged into the holder (logged, undoable). Returns the surviving member.
 */
export async function claimIdentity(
  ctx: Ctx,
  memberId: string,
  kind: string,
  value: string,
  reason: string,
): Promise<string> {
  const inserted = await ctx.db
    .insertInto('crm_identities')
    .values({ merchant_id: ctx.merchantId, kind, value, member_id: memberId, created_at: ctx.now })
    .onConflict((oc) => oc.columns(['merchant_id', 'kind', 'value']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return memberId;
  const holder = found(await ownerOf(ctx, kind, value), MEMBER);
  if (holder === memberId) return memberId;
  await mergeMembers(ctx, memberId, holder, reason);
  return holder;
}

export interface FanFacts {
  accountId: string;
  openid: string;
  unionid?: string | null;
  sourceQrcodeId?: string | null;
  firstContactAt?: number | null;
}

/**
 * The member for a fan of one account, created on first sight; joined with the same person on the
 * merchant's other accounts when WeChat gives the unionid. Safe under concurrent calls: the
 * identity's primary key decides who creates.
 */
export async function resolveFan(ctx: Ctx, fan: FanFacts): Promise<string> {
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const key = openidKey(fan.accountId, fan.openid);
    let memberId = await ownerOf(tx, 'openid', key);
    if (!memberId) {
      const id = newId('mem', ctx.now);
      const claimed = await trx
        .insertInto('crm_identities')
        .values({
          merchant_id: ctx.merchantId,
          kind: 'openid',
          value: key,
          member_id: id,
          created_at: ctx.now,
        })
        .onConflict((oc) => oc.columns(['merchant_id', 'kind', 'value']).doNothing())
        .executeTakeFirst();
      if (Number(claimed.numInsertedOrUpdatedRows ?? 0) > 0) {
        await trx
          .insertInto('crm_members')
          .values({
            id,
            merchant_id: ctx.merchantId,
            name: null,
            phone: null,
            region: null,
            gender: null,
            birthday: null,
            unionid: null,
            attrs: '{}',
            source_account_id: fan.accountId,
            source_qrcode_id: fan.sourceQrcodeId ?? null,
            first_contact_at: fan.firstContactAt ?? null,
            last_contact_at: null,
            order_count: 0,
            spend: 0,
            last_order_at: null,
            merged_into: null,
            created_at: ctx.now,
            updated_at: ctx.now,
          })
          .execute();
        memberId = id;
      } else {
        memberId = found(await ownerOf(tx, 'openid', key), MEMBER);
      }
    }
    if (fan.unionid) {
      memberId = await claimIdentity(tx, memberId, 'unionid', fan.unionid, 'unionid');
      await trx
        .updateTable('crm_members')
        .set({ unionid: fan.unionid })
        .where('id', '=', memberId)
        .where('unionid', 'is', null)
        .execute();
    }
    return memberId;
  });
}

/** The member of a fan, if CRM has met them. */
export async function memberOfFan(ctx: Ctx, accountId: string, openid: string): Promise<string | null> {
  return (await ownerOf(ctx, 'openid', openidKey(accountId, openid))) ?? null;
}

/** Members of many fans at once (one query per few hundred), keyed by `openidKey`; unknown fans are absent. */
export async function membersOfFans(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  fans: ReadonlyArray<{ accountId: string; openid: string }>,
): Promise<Map<string, string>> {
  const keys = [...new Set(fans.map((f) => openidKey(f.accountId, f.openid)))];
  const owners = new Map<string, string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await ctx.db
      .selectFrom('crm_identities')
      .select(['value', 'member_id'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('kind', '=', 'openid')
      .where('value', 'in', keys.slice(i, i + 500))
      .execute();
    for (const row of rows) owners.set(row.value, row.member_id);
  }
  return owners;
}
