import type { Ctx } from '../../context.ts';
import type { MassMessage, WeChatApiClient } from '../../wechat/api-client.ts';
import type { ArticleInput } from './broadcasts.service.ts';
import type { BroadcastsTable } from './messaging.schema.ts';

/** The "read more" link carries the send, so the shop can count the visit and the order it brings. */
export function trackedLink(link: string, broadcastId: string): string {
  const url = new URL(link);
  url.searchParams.set('wl_bc', broadcastId);
  return url.toString();
}

/**
 * What the article's "read more" points at: Weiloop's click counter, which then redirects to the
 * tracked link. One link for every fan (a mass message is the same for all); the shop knows the
 * fan by its own sign-in.
 */
export function clickLink(publicUrl: string, broadcastId: string, article: number): string {
  return `${publicUrl}/m/bc/${encodeURIComponent(broadcastId)}/${article}`;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The broadcast as WeChat's mass-send message. News is uploaded once (uploadnews) and its
 * media_id kept on the row, so every batch, retry and preview carries the same message.
 */
export async function massMessageOf(
  ctx: Ctx,
  row: BroadcastsTable,
  client: WeChatApiClient,
): Promise<MassMessage> {
  const content = JSON.parse(row.content) as { articles?: ArticleInput[]; text?: string; media_id?: string };
  if (row.kind === 'text') return { msgtype: 'text', text: { content: content.text ?? '' } };
  if (row.kind === 'image') return { msgtype: 'image', image: { media_id: content.media_id ?? '' } };
  if (row.media_id) return { msgtype: 'mpnews', mpnews: { media_id: row.media_id } };
  const uploaded = await client.uploadNews(
    (content.articles ?? []).map((a, i) => ({
      title: a.title,
      // The cover is passed by address; a production set-up uploads it as a thumb first.
      thumb_media_id: a.cover_url || 'default_cover',
      digest: a.digest ?? '',
      content: escapeHtml(a.body).replace(/\n/g, '<br>'),
      content_source_url: clickLink(ctx.deps.config.publicUrl, row.id, i),
      show_cover_pic: 1,
    })),
  );
  // A second upload racing this one loses: everyone uses whichever media_id was stored first.
  await ctx.db
    .updateTable('broadcasts')
    .set({ media_id: uploaded.media_id })
    .where('id', '=', row.id)
    .where('media_id', 'is', null)
    .execute();
  const stored = await ctx.db
    .selectFrom('broadcasts')
    .select('media_id')
    .where('id', '=', row.id)
    .executeTakeFirstOrThrow();
  return { msgtype: 'mpnews', mpnews: { media_id: stored.media_id ?? uploaded.media_id } };
}
