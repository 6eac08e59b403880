import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import type { ArticleInput } from './broadcasts.service.ts';
import { trackedLink } from './wechat-message.ts';

/**
 * A fan taps "read more": count it on the send and go on to the article's link with the send's
 * token. The target comes from the stored article only, so this is no open redirect.
 */
export function clickRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/m/bc/:id/:n', { schema: { hide: true } }, async (request, reply) => {
    const { id, n } = request.params as { id: string; n: string };
    const row = await deps.db
      .selectFrom('broadcasts')
      .select(['id', 'content', 'kind'])
      .where('id', '=', id.slice(0, 64))
      .executeTakeFirst();
    const article =
      row?.kind === 'news' ? (JSON.parse(row.content).articles as ArticleInput[])[Number(n)] : undefined;
    if (!row || !article)
      return reply.status(404).type('text/plain').send('链接已失效 / This link is no longer valid');
    await deps.db
      .updateTable('broadcasts')
      .set((eb) => ({ clicks: eb('clicks', '+', 1) }))
      .where('id', '=', row.id)
      .execute();
    return reply.redirect(trackedLink(article.link, row.id));
  });
}
