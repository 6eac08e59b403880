import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { listAttributeDefs } from './attributes.service.ts';
import { csvField } from './csv-stream.ts';
import { tagsOf } from './members.service.ts';
import { compileRules, type RuleGroup } from './segment-rules.ts';
import { getSegment } from './segments.service.ts';

const PAGE = 1000;

/**
 * Members (all, or a saved segment's) as CSV, a page of 1,000 at a time: the response streams and
 * the server never holds the whole list. Columns round-trip through the import (`id` updates).
 */
export async function* exportMembersCsv(ctx: Ctx, segmentId?: string): AsyncGenerator<string> {
  requireRole(ctx, 'operator');
  const rules: RuleGroup | undefined = segmentId ? (await getSegment(ctx, segmentId)).rules : undefined;
  const defs = await listAttributeDefs(ctx);
  const columns = [
    'id',
    'name',
    'phone',
    'region',
    'gender',
    'birthday',
    'unionid',
    'order_count',
    'spend_fen',
    'last_order_at',
    'last_contact_at',
    'tags',
  ];
  yield `\ufeff${[...columns, ...defs.map((d) => `attr:${d.key}`)].join(',')}\n`;
  let after: string | undefined;
  for (;;) {
    let query = ctx.db
      .selectFrom('crm_members')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('merged_into', 'is', null);
    if (rules) query = query.where(compileRules(ctx.dialect, rules, ctx.now, ctx.merchantId));
    if (after) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(PAGE).execute();
    if (rows.length === 0) return;
    const tags = await tagsOf(
      ctx,
      rows.map((r) => r.id),
    );
    const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : '');
    yield rows
      .map((r) => {
        const attrs = JSON.parse(r.attrs) as Record<string, unknown>;
        return [
          r.id,
          r.name,
          r.phone,
          r.region,
          r.gender === 'male' ? '男' : r.gender === 'female' ? '女' : '',
          r.birthday,
          r.unionid,
          r.order_count,
          r.spend,
          iso(r.last_order_at),
          iso(r.last_contact_at),
          (tags.get(r.id) ?? []).map((t) => t.name).join('|'),
          ...defs.map((d) => attrs[d.key]),
        ]
          .map(csvField)
          .join(',');
      })
      .join('\n')
      .concat('\n');
    after = rows.at(-1)!.id;
    if (rows.length < PAGE) return;
  }
}
