import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { type AttributeDef, checkValue, listAttributeDefs } from './attributes.service.ts';
import { queueAutotag } from './autotag.service.ts';
import { csvChunks, parseCsvLines } from './csv-stream.ts';
import { applyRows, type ImportRow } from './import-apply.ts';

export const IMPORT_JOB = 'crm.import';
const IMPORT = { zh: '导入任务', en: 'Import' };
/** Columns a row may carry besides `attr:<key>` / a defined field key and `ext:<system>`. */
const PROFILE = ['name', 'phone', 'region', 'gender', 'birthday'] as const;
const KEYS = ['id', 'unionid', 'tags', ...PROFILE];
/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_ROWS = 400;

/**
 * Stores an uploaded CSV as line-aligned chunks (never whole in memory) and queues its import.
 * The first line is the header.
 */
export async function startImport(ctx: Ctx, body: Readable, chunkChars?: number) {
  requireRole(ctx, 'operator');
  const id = newId('imp', ctx.now);
  let header: string[] | null = null;
  let chunks = 0;
  let bytes = 0;
  await ctx.db
    .insertInto('crm_imports')
    .values({
      id,
      merchant_id: ctx.merchantId,
      status: 'uploading',
      header: '[]',
      chunks: 0,
      next_chunk: 0,
      total_bytes: 0,
      done_bytes: 0,
      rows_ok: 0,
      rows_failed: 0,
      actor: actorLabel(ctx.actor),
      created_at: ctx.now,
      finished_at: null,
    })
    .execute();
  for await (const chunk of csvChunks(body, chunkChars)) {
    let { text, firstLine } = chunk;
    if (!header) {
      const end = text.indexOf('\n');
      const first = parseCsvLines(end < 0 ? text : text.slice(0, end), 1)[0];
      header = (first?.fields ?? []).map((h) => h.trim());
      checkHeader(header);
      text = end < 0 ? '' : text.slice(end + 1);
      firstLine = 2;
    }
    bytes += chunk.bytes;
    if (text.trim() === '') continue;
    await ctx.db
      .insertInto('crm_import_chunks')
      .values({ import_id: id, seq: chunks, first_line: firstLine, data: text })
      .execute();
    chunks += 1;
  }
  if (!header) throw badRequest('empty_csv', 'CSV 文件为空', 'The CSV file is empty');
  await inTransaction(ctx.db, async (trx) => {
    await trx
      .updateTable('crm_imports')
      .set({ status: 'queued', header: JSON.stringify(header), chunks, total_bytes: bytes })
      .where('id', '=', id)
      .execute();
    await enqueueJob(
      trx,
      { type: IMPORT_JOB, key: id, merchantId: ctx.merchantId, payload: { importId: id } },
      ctx.now,
    );
  });
  ctx.deps.wakeJobs();
  return getImport(ctx, id);
}

function checkHeader(header: string[]) {
  const known = header.filter((h) => KEYS.includes(h) || h.startsWith('attr:') || h.startsWith('ext:'));
  if (
    !header.some((h) => ['id', 'phone', 'unionid', 'name'].includes(h) || h.startsWith('ext:')) ||
    known.length === 0
  )
    throw badRequest(
      'invalid_csv_header',
      'CSV 首行须为列名，并至少包含 id、phone、unionid、name 或 ext:<系统> 之一',
      'The first CSV line must name the columns, with at least one of id, phone, unionid, name or ext:<system>',
    );
}

export async function getImport(ctx: Ctx, id: string) {
  const row = found(
    await ctx.db
      .selectFrom('crm_imports')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    IMPORT,
  );
  const total = Number(row.total_bytes);
  return {
    id: row.id,
    status: row.status,
    total_bytes: total,
    done_bytes: Number(row.done_bytes),
    progress: row.status === 'done' ? 1 : total > 0 ? Number(row.done_bytes) / total : 0,
    rows_ok: row.rows_ok,
    rows_failed: row.rows_failed,
    created_at: row.created_at,
    finished_at: row.finished_at,
  };
}

/** The lines that failed and why, as CSV, read in pages so a large error list is never whole in memory. */
export async function* importErrorsCsv(ctx: Ctx, id: string): AsyncGenerator<string> {
  await getImport(ctx, id);
  yield 'line,error\n';
  let after = 0;
  for (;;) {
    const rows = await ctx.db
      .selectFrom('crm_import_errors')
      .select(['line', 'message'])
      .where('import_id', '=', id)
      .where('line', '>', after)
      .orderBy('line')
      .limit(1000)
      .execute();
    if (rows.length === 0) return;
    yield rows.map((r) => `${r.line},"${r.message.replace(/"/g, '""')}"\n`).join('');
    after = rows.at(-1)!.line;
  }
}

function parseRow(
  header: string[],
  defs: Map<string, AttributeDef>,
  line: number,
  cells: string[],
): ImportRow {
  const row: ImportRow = { line, keys: [], fields: {}, attrs: {}, tags: [] };
  header.forEach((column, i) => {
    const value = (cells[i] ?? '').trim();
    if (!value) return;
    if (column === 'id') row.id = value;
    else if (column === 'tags')
      row.tags = value
        .split(/[|，,]/)
        .map((t) => t.trim())
        .filter(Boolean);
    else if (column === 'phone') {
      if (!/^1\d{10}$/.test(value)) throw new Error(`phone ${value} is not a mainland mobile number`);
      row.fields.phone = value;
      row.keys.push({ kind: 'phone', value });
    } else if (column === 'unionid') {
      row.fields.unionid = value;
      row.keys.push({ kind: 'unionid', value });
    } else if (column === 'gender') {
      const gender = /^(男|m|male)$/i.test(value) ? 'male' : /^(女|f|female)$/i.test(value) ? 'female' : null;
      if (!gender) throw new Error(`gender ${value} is not 男/女`);
      row.fields.gender = gender;
    } else if (column === 'birthday') {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`birthday ${value} is not YYYY-MM-DD`);
      row.fields.birthday = value;
    } else if (column === 'name' || column === 'region') row.fields[column] = value.slice(0, 64);
    else if (column.startsWith('ext:')) row.keys.push({ kind: column, value: value.slice(0, 128) });
    else {
      const key = column.startsWith('attr:') ? column.slice(5) : column;
      const def = defs.get(key);
      if (!def) return; // Unknown columns (e.g. exported figures) are ignored.
      try {
        row.attrs[key] = checkValue(def, value);
      } catch {
        throw new Error(`${def.label} = ${value} is not a valid ${def.type}`);
      }
    }
  });
  if (!row.id && row.keys.length === 0 && !row.fields.name)
    throw new Error('the row names nobody (no id, phone, unionid, ext or name)');
  return row;
}

/**
 * Applies one chunk in one transaction (all or nothing), then moves the cursor in the same
 * transaction: a crash resumes at the first chunk not committed. Lines that fail validation are
 * recorded and skipped; the rest go in with a few multi-row statements, not a query per line.
 */
export async function importNextChunk(ctx: Ctx, importId: string): Promise<boolean> {
  const job = await ctx.db
    .selectFrom('crm_imports')
    .selectAll()
    .where('id', '=', importId)
    .executeTakeFirst();
  if (!job || job.status === 'done') return false;
  if (job.next_chunk >= job.chunks) {
    await ctx.db
      .updateTable('crm_imports')
      .set({ status: 'done', finished_at: ctx.now })
      .where('id', '=', importId)
      .execute();
    return false;
  }
  const chunk = await ctx.db
    .selectFrom('crm_import_chunks')
    .selectAll()
    .where('import_id', '=', importId)
    .where('seq', '=', job.next_chunk)
    .executeTakeFirstOrThrow();
  const header = JSON.parse(job.header) as string[];
  const defs = new Map((await listAttributeDefs(ctx)).map((d) => [d.key, d]));
  const parsed: ImportRow[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  for (const record of parseCsvLines(chunk.data, chunk.first_line)) {
    try {
      parsed.push(parseRow(header, defs, record.line, record.fields));
    } catch (error) {
      errors.push({ line: record.line, message: (error as Error).message });
    }
  }
  await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const touched: string[] = [];
    const ok = await applyRows(tx, parsed, errors, touched);
    await queueAutotag(tx, touched);
    for (let i = 0; i < errors.length; i += INSERT_ROWS) {
      await trx
        .insertInto('crm_import_errors')
        .values(errors.slice(i, i + INSERT_ROWS).map((e) => ({ import_id: importId, ...e })))
        .onConflict((oc) => oc.columns(['import_id', 'line']).doNothing())
        .execute();
    }
    const last = job.next_chunk + 1 >= job.chunks;
    await trx
      .updateTable('crm_imports')
      .set((eb) => ({
        status: last ? 'done' : 'running',
        next_chunk: job.next_chunk + 1,
        done_bytes: eb('done_bytes', '+', Buffer.byteLength(chunk.data)),
        rows_ok: eb('rows_ok', '+', ok),
        rows_failed: eb('rows_failed', '+', errors.length),
        finished_at: last ? ctx.now : null,
      }))
      .where('id', '=', importId)
      .where('next_chunk', '=', job.next_chunk)
      .execute();
  });
  await refreshStatistics(ctx, job.next_chunk + 1, job.chunks);
  return job.next_chunk + 1 < job.chunks;
}

/**
 * PostgreSQL plans from statistics that autovacuum refreshes only now and then. An import grows
 * the member tables from nothing to a million rows in minutes: planned on the empty table's
 * figures, the lookup of a chunk's phones (merchant, kind, value IN …) read every identity of the
 * kind instead of probing the key, and the import slowed with each chunk. Re-analysed after
 * chunks 1, 2, 4, 8, … (each time the tables may have doubled) and at the end, so segments
 * counted right after the import are planned on its real size too.
 */
async function refreshStatistics(ctx: Ctx, done: number, chunks: number) {
  if (ctx.dialect !== 'postgres' || ctx.db.isTransaction) return;
  if ((done & (done - 1)) !== 0 && done !== chunks) return;
  // Statistics help the next chunks; they are no reason to fail an import whose chunk committed.
  await sql`analyze crm_members, crm_identities, crm_member_tags`
    .execute(ctx.db)
    .catch((error) => ctx.deps.logger.warn({ err: error }, 'crm import: analyze failed'));
}
