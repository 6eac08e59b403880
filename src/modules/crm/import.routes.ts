import { Readable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { exportMembersCsv } from './export.service.ts';
import { getImport, importErrorsCsv, startImport } from './import.service.ts';

/** Largest CSV upload: about 1,000,000 member rows with attributes and tags. */
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

const Import = Type.Object({
  id: Type.String(),
  status: Type.String(),
  total_bytes: Type.Integer(),
  done_bytes: Type.Integer(),
  progress: Type.Number(),
  rows_ok: Type.Integer(),
  rows_failed: Type.Integer(),
  created_at: Type.Integer(),
  finished_at: Type.Union([Type.Integer(), Type.Null()]),
});

/**
 * CSV import and export. In their own scope: the upload is taken as a stream (the admin scope
 * parses text/csv into a string, which a 1M-row file must never be).
 */
export async function importRoutes(app: Api): Promise<void> {
  app.removeContentTypeParser('text/csv');
  app.addContentTypeParser('text/csv', { bodyLimit: MAX_UPLOAD_BYTES }, (_request, payload, done) =>
    done(null, payload),
  );
  const tags = ['crm'];
  app.post(
    '/crm/imports',
    {
      bodyLimit: MAX_UPLOAD_BYTES,
      schema: {
        tags,
        summary: '导入会员 CSV（后台任务，可查看进度）/ Import members from CSV (a job with progress)',
        consumes: ['text/csv'],
        response: withErrors({ 202: Import }),
      },
    },
    async (request, reply) =>
      reply.status(202).send(await startImport(request.ctx, request.body as Readable)),
  );
  app.get(
    '/crm/imports/:id',
    {
      schema: {
        tags,
        summary: '导入进度 / Import progress',
        params: IdParams,
        response: withErrors({ 200: Import }),
      },
    },
    (request) => getImport(request.ctx, request.params.id),
  );
  app.get(
    '/crm/imports/:id/errors.csv',
    {
      schema: {
        tags,
        summary: '导入失败的行 / Lines that failed',
        params: IdParams,
        produces: ['text/csv'],
        response: withErrors({ 200: Type.String() }),
      },
    },
    async (request, reply) => {
      await getImport(request.ctx, request.params.id);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="import-errors-${request.params.id}.csv"`)
        .send(Readable.from(importErrorsCsv(request.ctx, request.params.id)));
    },
  );
  app.get(
    '/crm/members/export.csv',
    {
      schema: {
        tags,
        summary: '导出会员 CSV（流式）/ Export members as CSV (streamed)',
        querystring: Type.Object({ segment_id: Type.Optional(Type.String({ maxLength: 64 })) }),
        produces: ['text/csv'],
        response: withErrors({ 200: Type.String() }),
      },
    },
    async (request, reply) => {
      const rows = exportMembersCsv(request.ctx, request.query.segment_id);
      // Pull the header first so a missing segment or a forbidden role answers with a JSON error.
      const first = await rows.next();
      const body = (async function* () {
        if (!first.done) yield first.value;
        yield* rows;
      })();
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="members.csv"')
        .send(Readable.from(body));
    },
  );
}
