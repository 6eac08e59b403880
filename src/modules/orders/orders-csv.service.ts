import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { parseCsv, toCsv } from '../../platform/csv.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { fenToYuan } from '../../platform/money.ts';
import { shipOrder } from './lifecycle.service.ts';
import type { OrderStatus } from './orders.schema.ts';
import { listOrders } from './queries.service.ts';

const EXPORT_HEADER = [
  'order_id',
  'status',
  'payment_method',
  'total_yuan',
  'discount_yuan',
  'buyer_openid',
  'items',
  'name',
  'phone',
  'address',
  'carrier',
  'tracking_no',
  'created_at',
];

/** Every order (or those in one status) as CSV, read page by page. */
export async function exportOrdersCsv(ctx: Ctx, status?: OrderStatus): Promise<string> {
  const rows: Array<Array<string | number | null>> = [EXPORT_HEADER];
  let cursor: string | undefined;
  do {
    const page = await listOrders(ctx, { status, limit: 200, cursor });
    for (const o of page.items) {
      rows.push([
        o.id,
        o.status,
        o.payment_method,
        fenToYuan(o.total),
        fenToYuan(o.discount),
        o.openid,
        o.items.map((i) => `${i.title}${i.spec_text ? `(${i.spec_text})` : ''}×${i.quantity}`).join('; '),
        o.address?.name ?? '',
        o.address?.phone ?? '',
        o.address ? `${o.address.region} ${o.address.detail}` : '',
        o.carrier,
        o.tracking_no,
        new Date(o.created_at).toISOString(),
      ]);
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return toCsv(rows);
}

/** Ships the orders a CSV lists (order_id, carrier, tracking_no); one result per line. */
export async function shipFromCsv(ctx: Ctx, csv: string) {
  requireRole(ctx, 'operator');
  const rows = parseCsv(csv);
  const header = rows.shift()?.map((h) => h.trim());
  if (!header || !['order_id', 'carrier', 'tracking_no'].every((c) => header.includes(c))) {
    throw badRequest(
      'invalid_csv',
      'CSV 需要 order_id, carrier, tracking_no 三列',
      'The CSV needs order_id, carrier and tracking_no columns',
    );
  }
  const results: Array<{ line: number; order_id: string; ok: boolean; message?: string }> = [];
  for (const [index, cells] of rows.entries()) {
    const get = (name: string) => (cells[header.indexOf(name)] ?? '').trim();
    try {
      await shipOrder(ctx, get('order_id'), { carrier: get('carrier'), tracking_no: get('tracking_no') });
      results.push({ line: index + 2, order_id: get('order_id'), ok: true });
    } catch (error) {
      results.push({
        line: index + 2,
        order_id: get('order_id'),
        ok: false,
        message: (error as Error).message,
      });
    }
  }
  return { shipped: results.filter((r) => r.ok).length, results };
}
