import { sql } from 'kysely';
import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { addEvent } from './member-events.ts';
import { rfmBands } from './rfm.service.ts';
import type { Condition, RuleGroup } from './segment-rules.ts';
import { ruleFilter } from './segment-rules.ts';
import { TAG_SYNC_JOB, TAG_UNSYNC_JOB, WECHAT_TAGS_PER_FAN } from './tag-limits.ts';

/**
 * Segments that tag their members. The tag follows the segment through jobs queued when a member
 * changes (an order, a message, a profile edit, a tag, an import), restricted to those members;
 * a segment whose rules count time (spent in 90 days, silent 30 days, RFM recency) also gets a
 * re-check queued for the moments a member's answer can flip (the event's time plus each window),
 * so nothing scans the whole member table on a timer. Setting or changing the segment runs one
 * set-based pass over it.
 */
export const AUTOTAG_JOB = 'crm.autotag';
export const AUTOTAG_SEGMENT_JOB = 'crm.autotag_segment';
/** Members per job: one IN list well under the engines' parameter limits. */
const MEMBERS_PER_JOB = 400;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** A re-check runs a minute past the moment the window closes. */
const SLACK_MS = 60_000;

interface AutoSegment {
  id: string;
  rules: RuleGroup;
  auto_tag_id: string;
}

async function autoSegments(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<AutoSegment[]> {
  const rows = await ctx.db
    .selectFrom('crm_segments')
    .select(['id', 'rules', 'auto_tag_id'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('auto_tag_id', 'is not', null)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    rules: JSON.parse(r.rules) as RuleGroup,
    auto_tag_id: r.auto_tag_id!,
  }));
}

/** The lengths of time after an event at which a member's answer to these rules can change. */
export function timeWindows(group: RuleGroup, recencyDays: number[]): number[] {
  const out = new Set<number>();
  const walk = (g: RuleGroup) => {
    for (const rule of g.rules ?? []) {
      if (rule && typeof rule === 'object' && 'rules' in rule) {
        walk(rule);
        continue;
      }
      const c = rule as Condition;
      if (c.type === 'bought_category' || c.type === 'spent' || c.type === 'silent') out.add(c.days * DAY);
      else if (c.type === 'talked') out.add(c.hours * HOUR);
      else if (c.type === 'rfm' && c.dimension === 'r') for (const d of recencyDays) out.add(d * DAY);
    }
  };
  walk(group);
  return [...out].filter((ms) => ms > 0).sort((a, b) => a - b);
}

/**
 * Queues a re-check of these members against every auto-tag segment (in the caller's
 * transaction), plus the delayed re-checks their time windows call for. Cheap when the merchant
 * has no auto-tag segment: one indexed read.
 */
export async function queueAutotag(ctx: Ctx, memberIds: string[]): Promise<void> {
  const ids = [...new Set(memberIds)];
  if (ids.length === 0) return;
  const segments = await autoSegments(ctx);
  if (segments.length === 0) return;
  const bands = await rfmBands(ctx);
  const windows = new Set(segments.flatMap((s) => timeWindows(s.rules, bands.recency_days)));
  for (let i = 0; i < ids.length; i += MEMBERS_PER_JOB) {
    const part = ids.slice(i, i + MEMBERS_PER_JOB);
    const key = newId('at', ctx.now);
    const payload = { members: part.join(',') };
    await enqueueJob(ctx.db, { type: AUTOTAG_JOB, key, merchantId: ctx.merchantId, payload }, ctx.now);
    for (const ms of windows)
      await enqueueJob(
        ctx.db,
        {
          type: AUTOTAG_JOB,
          key: `${key}:${ms}`,
          merchantId: ctx.merchantId,
          payload,
          runAt: ctx.now + ms + SLACK_MS,
        },
        ctx.now,
      );
  }
}

/** Queues the one set-based pass for a segment just set to auto-tag (or whose rules changed). */
export async function queueSegmentAutotag(ctx: Ctx, segmentId: string): Promise<void> {
  await enqueueJob(
    ctx.db,
    {
      type: AUTOTAG_SEGMENT_JOB,
      key: `${segmentId}:${ctx.now}`,
      merchantId: ctx.merchantId,
      payload: { segmentId },
    },
    ctx.now,
  );
}

/**
 * Makes the segment's tag sit on exactly its members — among `memberIds`, or everywhere when
 * null — in two statements (insert the missing, delete the stale). A synced tag is not added to
 * a member already at WeChat's 20 synced tags. Returns who gained and who lost the tag.
 */
export async function reconcileAutotag(ctx: Ctx, segment: AutoSegment, memberIds: string[] | null) {
  const tag = await ctx.db
    .selectFrom('crm_tags')
    .select(['id', 'name', 'sync'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', segment.auto_tag_id)
    .executeTakeFirst();
  if (!tag) return { added: [] as string[], removed: [] as Array<{ member_id: string; synced: number }> };
  const filter = await ruleFilter(ctx, segment.rules);
  const scope = memberIds ?? [];
  let matching = ctx.db
    .selectFrom('crm_members')
    .where('crm_members.merchant_id', '=', ctx.merchantId)
    .where('crm_members.merged_into', 'is', null)
    .where(filter);
  if (memberIds) matching = matching.where('crm_members.id', 'in', scope.length ? scope : ['']);
  let toAdd = matching
    .select([
      sql.lit(ctx.merchantId).as('merchant_id'),
      'crm_members.id as member_id',
      sql.lit(tag.id).as('tag_id'),
      sql.lit(0).as('synced'),
      sql.lit(ctx.now).as('created_at'),
    ])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('crm_member_tags as have')
            .select('have.member_id')
            .whereRef('have.member_id', '=', 'crm_members.id')
            .where('have.tag_id', '=', tag.id),
        ),
      ),
    );
  if (tag.sync === 1)
    toAdd = toAdd.where(
      (eb) =>
        eb
          .selectFrom('crm_member_tags as held')
          .innerJoin('crm_tags as t', 't.id', 'held.tag_id')
          .select((s) => s.fn.countAll<number>().as('n'))
          .whereRef('held.member_id', '=', 'crm_members.id')
          .where('t.sync', '=', 1),
      '<',
      WECHAT_TAGS_PER_FAN,
    );
  const added = await ctx.db
    .insertInto('crm_member_tags')
    .columns(['merchant_id', 'member_id', 'tag_id', 'synced', 'created_at'])
    .expression(toAdd)
    .onConflict((oc) => oc.columns(['member_id', 'tag_id']).doNothing())
    .returning('member_id')
    .execute();
  let stale = ctx.db
    .deleteFrom('crm_member_tags')
    .where('merchant_id', '=', ctx.merchantId)
    .where('tag_id', '=', tag.id)
    .where('member_id', 'not in', matching.select('crm_members.id'));
  if (memberIds) stale = stale.where('member_id', 'in', scope.length ? scope : ['']);
  const removed = await stale.returning(['member_id', 'synced']).execute();

  // Timeline lines for a member-level re-check; a whole-segment pass would write one per member.
  if (memberIds) {
    for (const a of added)
      await addEvent(ctx, a.member_id, 'tag_added', {
        tag_id: tag.id,
        name: tag.name,
        segment_id: segment.id,
      });
    for (const r of removed)
      await addEvent(ctx, r.member_id, 'tag_removed', {
        tag_id: tag.id,
        name: tag.name,
        segment_id: segment.id,
      });
  }
  if (tag.sync === 1 && added.length > 0)
    await enqueueJob(
      ctx.db,
      {
        type: TAG_SYNC_JOB,
        key: `${tag.id}:${ctx.now}`,
        merchantId: ctx.merchantId,
        payload: { tagId: tag.id },
      },
      ctx.now,
    );
  const unsync = removed.filter((r) => r.synced === 1).map((r) => r.member_id);
  for (let i = 0; tag.sync === 1 && i < unsync.length; i += MEMBERS_PER_JOB)
    await enqueueJob(
      ctx.db,
      {
        type: TAG_UNSYNC_JOB,
        key: newId('uns', ctx.now),
        merchantId: ctx.merchantId,
        payload: { tagId: tag.id, members: unsync.slice(i, i + MEMBERS_PER_JOB).join(',') },
      },
      ctx.now,
    );
  return { added: added.map((a) => a.member_id), removed };
}

export function registerAutotagJobs(deps: AppDeps): void {
  deps.jobHandlers.set(AUTOTAG_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('auto-tag without merchant');
    const ctx = merchantCtx(deps, job.merchantId);
    const ids = String(job.payload.members ?? '')
      .split(',')
      .filter(Boolean);
    const segments = await autoSegments(ctx);
    await inTransaction(ctx.db, async (trx) => {
      for (const segment of segments) await reconcileAutotag({ ...ctx, db: trx }, segment, ids);
    });
    ctx.deps.wakeJobs();
  });
  deps.jobHandlers.set(AUTOTAG_SEGMENT_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('auto-tag without merchant');
    const ctx = merchantCtx(deps, job.merchantId);
    const segment = (await autoSegments(ctx)).find((s) => s.id === String(job.payload.segmentId));
    if (!segment) return;
    await inTransaction(ctx.db, async (trx) => {
      await reconcileAutotag({ ...ctx, db: trx }, segment, null);
    });
    // Members tagged by a whole-segment pass had their events before the segment existed, so no
    // window re-check waits for them: a segment that depends on the clock gets the pass daily
    // (two set statements), keyed by day so edits never start a second chain.
    if (timeWindows(segment.rules, (await rfmBands(ctx)).recency_days).length > 0) {
      const runAt = ctx.now + DAY;
      await enqueueJob(
        ctx.db,
        {
          type: AUTOTAG_SEGMENT_JOB,
          key: `${segment.id}:day:${Math.floor(runAt / DAY)}`,
          merchantId: ctx.merchantId,
          payload: { segmentId: segment.id },
          runAt,
        },
        ctx.now,
      );
    }
    ctx.deps.wakeJobs();
  });
}
