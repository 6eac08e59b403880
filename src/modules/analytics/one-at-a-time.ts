import type { Ctx } from '../../context.ts';
import { conflict } from '../../platform/http/errors.ts';

/** Longer than any rebuild or pull takes: a process that died holding the mark frees it by then. */
const HELD_MS = 10 * 60_000;

/**
 * Runs a merchant's heavy console action (a rebuild scans the message log of a whole range, a pull
 * spends WeChat's datacube quota) one at a time per merchant, across processes with Redis: an
 * operator clicking again, or a script looping the route, is told it is running rather than
 * starting another scan beside it.
 */
export async function oneAtATime<T>(ctx: Ctx, action: string, work: () => Promise<T>): Promise<T> {
  const key = `analytics:${action}:${ctx.merchantId}`;
  if (!(await ctx.deps.cache.setIfAbsent(key, '1', HELD_MS)))
    throw conflict(
      'already_running',
      '上一次操作仍在进行，请稍后再试',
      'The previous run is still going; try again shortly',
    );
  try {
    return await work();
  } finally {
    await ctx.deps.cache.delete(key);
  }
}
