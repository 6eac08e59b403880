import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { validateAttrs } from './attributes.service.ts';
import { queueAutotag } from './autotag.service.ts';
import type { CrmMembersTable } from './crm.schema.ts';
import { claimIdentity } from './identities.service.ts';
import { addEvent, MEMBER } from './member-events.ts';
import { rfmBands, rfmScores } from './rfm.service.ts';

export interface MemberView extends Omit<CrmMembersTable, 'attrs' | 'merged_into'> {
  attrs: Record<string, unknown>;
  average_order_value: number;
  identities: Array<{ kind: string; value: string }>;
  tags: Array<{ id: string; name: string }>;
  /** RFM scores 1–5 from the merchant's bands (profile only). */
  rfm?: { r: number; f: number; m: number };
}

/** Moves first/last contact outward (never inward): safe to apply twice or out of order. */
export async function touchContact(ctx: Ctx, memberId: string, first: number, last: number): Promise<void> {
  await ctx.db
    .updateTable('crm_members')
    .set({
      first_contact_at: sql`case when first_contact_at is null or first_contact_at > ${first} then ${first} else first_contact_at end`,
      last_contact_at: sql`case when last_contact_at is null or last_contact_at < ${last} then ${last} else last_contact_at end`,
    })
    .where('id', '=', memberId)
    .execute();
}

export async function getMember(ctx: Ctx, id: string): Promise<MemberView> {
  requireRole(ctx, 'operator', 'agent');
  const row = found(
    await ctx.db
      .selectFrom('crm_members')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .where('merged_into', 'is', null)
      .executeTakeFirst(),
    MEMBER,
  );
  const [identities, tags, bands] = await Promise.all([
    ctx.db
      .selectFrom('crm_identities')
      .select(['kind', 'value'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('member_id', '=', id)
      .orderBy('created_at')
      .execute(),
    tagsOf(ctx, [id]),
    rfmBands(ctx),
  ]);
  const member = view(row);
  return { ...member, identities, tags: tags.get(id) ?? [], rfm: rfmScores(bands, member, ctx.now) };
}

export function view(row: CrmMembersTable): Omit<MemberView, 'identities' | 'tags'> {
  const { attrs, merged_into: _merged, ...rest } = row;
  const spend = Number(row.spend);
  const orders = Number(row.order_count);
  return {
    ...rest,
    spend,
    order_count: orders,
    attrs: JSON.parse(attrs) as Record<string, unknown>,
    average_order_value: orders > 0 ? Math.round(spend / orders) : 0,
  };
}

/** Tags of a page of members in one bounded query. */
export async function tagsOf(ctx: Ctx, memberIds: string[]) {
  const byMember = new Map<string, Array<{ id: string; name: string }>>();
  if (memberIds.length === 0) return byMember;
  const rows = await ctx.db
    .selectFrom('crm_member_tags')
    .innerJoin('crm_tags', 'crm_tags.id', 'crm_member_tags.tag_id')
    .select(['crm_member_tags.member_id', 'crm_tags.id', 'crm_tags.name'])
    .where('crm_member_tags.merchant_id', '=', ctx.merchantId)
    .where('crm_member_tags.member_id', 'in', memberIds)
    .orderBy('crm_tags.name')
    .execute();
  for (const row of rows) {
    byMember.set(row.member_id, [...(byMember.get(row.member_id) ?? []), { id: row.id, name: row.name }]);
  }
  return byMember;
}

export interface MemberPatch {
  name?: string | null;
  phone?: string | null;
  region?: string | null;
  gender?: 'male' | 'female' | null;
  birthday?: string | null;
  attrs?: Record<string, unknown>;
  external_ids?: Record<string, string>;
}

const PHONE = /^1\d{10}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Edits a profile. A phone another member already gave means the same person: this member is
 * merged into that one (logged, undoable), and the survivor is returned.
 */
export async function updateMember(ctx: Ctx, id: string, patch: MemberPatch): Promise<MemberView> {
  requireRole(ctx, 'operator', 'agent');
  if (patch.phone && !PHONE.test(patch.phone))
    throw badRequest('invalid_phone', '手机号格式不正确', 'Invalid mobile phone number');
  if (patch.birthday && !DATE.test(patch.birthday))
    throw badRequest('invalid_birthday', '生日格式应为 YYYY-MM-DD', 'Birthday must be YYYY-MM-DD');
  const survivor = await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const current = await getMember(tx, id);
    const attrs =
      patch.attrs === undefined ? undefined : await validateAttrs(tx, { ...current.attrs, ...patch.attrs });
    const { external_ids: externalIds, attrs: _a, ...fields } = patch;
    await trx
      .updateTable('crm_members')
      .set({ ...fields, ...(attrs ? { attrs: JSON.stringify(attrs) } : {}), updated_at: ctx.now })
      .where('id', '=', id)
      .execute();
    let memberId = id;
    for (const [system, value] of Object.entries(externalIds ?? {})) {
      if (!/^[a-z][a-z0-9_]{0,31}$/.test(system) || !value || value.length > 128)
        throw badRequest('invalid_external_id', '外部编号不合法', 'Invalid external id');
      memberId = await claimIdentity(tx, memberId, `ext:${system}`, value, `ext:${system}`);
    }
    if (patch.phone !== undefined && current.phone && patch.phone !== current.phone) {
      await trx
        .deleteFrom('crm_identities')
        .where('merchant_id', '=', ctx.merchantId)
        .where('kind', '=', 'phone')
        .where('value', '=', current.phone)
        .where('member_id', '=', id)
        .execute();
    }
    if (patch.phone && patch.phone !== current.phone) {
      memberId = await claimIdentity(tx, memberId, 'phone', patch.phone, 'phone');
    }
    await queueAutotag(tx, [memberId]);
    return memberId;
  });
  ctx.deps.wakeJobs();
  return getMember(ctx, survivor);
}

export async function addNote(ctx: Ctx, id: string, text: string): Promise<void> {
  requireRole(ctx, 'operator', 'agent');
  await getMember(ctx, id);
  await addEvent(ctx, id, 'note', { text });
}
