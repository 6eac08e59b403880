import { CompiledQuery } from 'kysely';
import type { Ctx } from '../../context.ts';
import { newId } from '../../platform/ids.ts';
import { insertRows } from './bulk-insert.ts';
import type { CrmMembersTable } from './crm.schema.ts';

export interface ImportRow {
  line: number;
  id?: string;
  keys: Array<{ kind: string; value: string }>;
  fields: Partial<Pick<CrmMembersTable, 'name' | 'phone' | 'region' | 'gender' | 'birthday' | 'unionid'>>;
  attrs: Record<string, unknown>;
  tags: string[];
}

const BATCH = 400;
const MEMBER_COLUMNS = [
  'id',
  'merchant_id',
  'name',
  'phone',
  'region',
  'gender',
  'birthday',
  'unionid',
  'attrs',
  'order_count',
  'spend',
  'created_at',
  'updated_at',
];

function* batches<T>(items: T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Applies validated rows inside the caller's transaction: finds each row's member (by id, then by
 * phone / unionid / external id, including rows earlier in the same batch), creates the rest, and
 * writes identities and tags with multi-row statements. Rows naming two different members are
 * refused into `errors`. Returns how many rows went in.
 */
export async function applyRows(
  ctx: Ctx,
  rows: ImportRow[],
  errors: Array<{ line: number; message: string }>,
  touched: string[] = [],
): Promise<number> {
  const owners = new Map<string, string>();
  const keyOf = (k: { kind: string; value: string }) => `${k.kind}\u0000${k.value}`;
  const byKind = new Map<string, Set<string>>();
  for (const row of rows)
    for (const k of row.keys) byKind.set(k.kind, (byKind.get(k.kind) ?? new Set()).add(k.value));
  for (const [kind, values] of byKind) {
    for (const part of batches([...values])) {
      const found = await ctx.db
        .selectFrom('crm_identities')
        .select(['value', 'member_id'])
        .where('merchant_id', '=', ctx.merchantId)
        .where('kind', '=', kind)
        .where('value', 'in', part)
        .execute();
      for (const f of found) owners.set(keyOf({ kind, value: f.value }), f.member_id);
    }
  }
  const ids = [...new Set(rows.flatMap((r) => (r.id ? [r.id] : [])))];
  const live = new Map<string, string>();
  for (const part of batches(ids)) {
    const found = await ctx.db
      .selectFrom('crm_members')
      .select(['id', 'attrs'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('merged_into', 'is', null)
      .where('id', 'in', part)
      .execute();
    for (const f of found) live.set(f.id, f.attrs);
  }

  const created: CrmMembersTable[] = [];
  const createdById = new Map<string, CrmMembersTable>();
  const updates = new Map<string, ImportRow[]>();
  const claims: Array<{ kind: string; value: string; member_id: string }> = [];
  const tagged: Array<{ member_id: string; names: string[] }> = [];
  let ok = 0;
  for (const row of rows) {
    if (row.id && !live.has(row.id)) {
      errors.push({ line: row.line, message: `member ${row.id} not found` });
      continue;
    }
    const named = new Set(row.keys.map((k) => owners.get(keyOf(k))).filter((m): m is string => Boolean(m)));
    if (row.id) named.add(row.id);
    if (named.size > 1) {
      errors.push({
        line: row.line,
        message: 'the row’s keys belong to different members; merge them first',
      });
      continue;
    }
    let memberId = [...named][0];
    if (!memberId) {
      memberId = newId('mem', ctx.now);
      const member: CrmMembersTable = {
        id: memberId,
        merchant_id: ctx.merchantId,
        name: row.fields.name ?? null,
        phone: row.fields.phone ?? null,
        region: row.fields.region ?? null,
        gender: row.fields.gender ?? null,
        birthday: row.fields.birthday ?? null,
        unionid: row.fields.unionid ?? null,
        attrs: JSON.stringify(row.attrs),
        source_account_id: null,
        source_qrcode_id: null,
        first_contact_at: null,
        last_contact_at: null,
        order_count: 0,
        spend: 0,
        last_order_at: null,
        merged_into: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      };
      created.push(member);
      createdById.set(memberId, member);
    } else if (createdById.has(memberId)) {
      // A later line about a person created earlier in this batch: fold it into the new row.
      const member = createdById.get(memberId)!;
      for (const [field, value] of Object.entries(row.fields))
        (member as unknown as Record<string, unknown>)[field] = value;
      member.attrs = JSON.stringify({ ...(JSON.parse(member.attrs) as object), ...row.attrs });
    } else {
      updates.set(memberId, [...(updates.get(memberId) ?? []), row]);
    }
    for (const k of row.keys) {
      if (!owners.has(keyOf(k))) {
        owners.set(keyOf(k), memberId);
        claims.push({ ...k, member_id: memberId });
      }
    }
    if (row.tags.length > 0) tagged.push({ member_id: memberId, names: row.tags });
    touched.push(memberId);
    ok += 1;
  }

  await insertRows(ctx.db, ctx.dialect, {
    table: 'crm_members',
    columns: MEMBER_COLUMNS,
    rows: created.map((m) => [
      m.id,
      m.merchant_id,
      m.name,
      m.phone,
      m.region,
      m.gender,
      m.birthday,
      m.unionid,
      m.attrs,
      0,
      0,
      m.created_at,
      m.updated_at,
    ]),
  });
  if (updates.size > 0) {
    const current = new Map(live);
    const missing = [...updates.keys()].filter((id) => !current.has(id));
    for (const part of batches(missing)) {
      for (const f of await ctx.db
        .selectFrom('crm_members')
        .select(['id', 'attrs'])
        .where('id', 'in', part)
        .execute())
        current.set(f.id, f.attrs);
    }
    const rows: Array<Array<string | null>> = [];
    for (const [memberId, list] of updates) {
      const fields = Object.assign({}, ...list.map((r) => r.fields)) as ImportRow['fields'];
      const attrs = Object.assign(
        JSON.parse(current.get(memberId) ?? '{}') as object,
        ...list.map((r) => r.attrs),
      );
      rows.push([memberId, ...UPDATED.map((f) => fields[f] ?? null), JSON.stringify(attrs)]);
    }
    await updateMembers(ctx, rows);
  }
  await insertRows(ctx.db, ctx.dialect, {
    table: 'crm_identities',
    columns: ['merchant_id', 'kind', 'value', 'member_id', 'created_at'],
    rows: claims.map((c) => [ctx.merchantId, c.kind, c.value, c.member_id, ctx.now]),
    skipExistingOn: ['merchant_id', 'kind', 'value'],
  });
  await applyTags(ctx, tagged);
  return ok;
}

/** Profile fields a row may change; a blank cell keeps what the member had. */
const UPDATED = ['name', 'phone', 'region', 'gender', 'birthday', 'unionid'] as const;

/**
 * Existing members' changes, a few hundred per statement (UPDATE … FROM VALUES, which both
 * engines speak), not a statement per member.
 */
async function updateMembers(ctx: Ctx, rows: Array<Array<string | null>>) {
  const width = UPDATED.length + 2;
  const names = Array.from({ length: width }, (_, i) => `column${i + 1}`);
  const set = [
    ...UPDATED.map((f, i) => `${f} = coalesce(v.column${i + 2}, crm_members.${f})`),
    `attrs = v.column${width}`,
    `updated_at = ${Math.trunc(ctx.now)}`,
  ].join(', ');
  for (const part of batches(rows, 200)) {
    let n = 0;
    const tuples = part
      .map(() => `(${names.map(() => (ctx.dialect === 'postgres' ? `$${++n}` : '?')).join(',')})`)
      .join(',');
    const alias = ctx.dialect === 'postgres' ? `v(${names.join(',')})` : 'v';
    await ctx.db.executeQuery(
      CompiledQuery.raw(
        `update crm_members set ${set} from (values ${tuples}) as ${alias} where crm_members.id = v.column1 and crm_members.merchant_id = ${ctx.dialect === 'postgres' ? `$${++n}` : '?'}`,
        [...part.flat(), ctx.merchantId],
      ),
    );
  }
}

/** Tags named in the file, created when new (local-only: WeChat allows 100, so the operator opts in to sync). */
async function applyTags(ctx: Ctx, tagged: Array<{ member_id: string; names: string[] }>) {
  if (tagged.length === 0) return;
  const named = new Set<string>();
  for (const t of tagged) for (const name of t.names) named.add(name);
  const names = [...named].filter((n) => Buffer.byteLength(n) <= 30);
  const ids = new Map<string, string>();
  for (const part of batches(names)) {
    for (const t of await ctx.db
      .selectFrom('crm_tags')
      .select(['id', 'name'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('name', 'in', part)
      .execute())
      ids.set(t.name, t.id);
  }
  const fresh = names
    .filter((n) => !ids.has(n))
    .map((name) => ({
      id: newId('tag', ctx.now),
      merchant_id: ctx.merchantId,
      name,
      sync: 0,
      created_at: ctx.now,
    }));
  for (const part of batches(fresh)) await ctx.db.insertInto('crm_tags').values(part).execute();
  for (const t of fresh) ids.set(t.name, t.id);
  // A member's links kept apart by member (a few tags each), not as a million "member:tag" keys.
  const links: Array<[string, string, string, number, number]> = [];
  const linked = new Map<string, Set<string>>();
  for (const t of tagged) {
    let mine = linked.get(t.member_id);
    if (!mine) {
      mine = new Set();
      linked.set(t.member_id, mine);
    }
    for (const name of t.names) {
      const tagId = ids.get(name);
      if (!tagId || mine.has(tagId)) continue;
      mine.add(tagId);
      links.push([ctx.merchantId, t.member_id, tagId, 0, ctx.now]);
    }
  }
  await insertRows(ctx.db, ctx.dialect, {
    table: 'crm_member_tags',
    columns: ['merchant_id', 'member_id', 'tag_id', 'synced', 'created_at'],
    rows: links,
    skipExistingOn: ['member_id', 'tag_id'],
  });
}
