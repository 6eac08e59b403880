import type { Ctx } from '../../context.ts';
import { html } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { cardOfFan, getProgram } from '../loyalty/index.ts';

// The page's inputs are full width; a switch sits beside its words.
const ROW = 'display:flex;gap:8px;align-items:flex-start;margin:8px 0';
const BOX = 'width:auto;flex:none;margin:3px 0 0';

/**
 * The member card at checkout: what the fan holds and two switches (use points, pay with stored
 * value). The page's script asks the server's quote when they change; nothing here is trusted.
 */
export async function memberBlock(ctx: Ctx, accountId: string, openid: string): Promise<string> {
  const [card, program] = await Promise.all([cardOfFan(ctx, accountId, openid), getProgram(ctx)]);
  if (!card) return '';
  const worth = Math.floor((card.points * 100) / program.points_per_yuan);
  const points =
    card.points > 0
      ? `<label style="${ROW}"><input type="checkbox" style="${BOX}" id="use-points" data-points="${card.points}"><span>用积分抵扣（${card.points} 积分，最多抵 ${formatFen(worth)}；${program.points_per_yuan} 积分 = ¥1）</span></label>`
      : `<div class="muted">积分 0</div>`;
  const balance =
    card.balance > 0
      ? `<label style="${ROW}"><input type="checkbox" style="${BOX}" id="use-balance"><span>用储值支付（余额 ${formatFen(card.balance)}）</span></label>`
      : '';
  return `<div class="card" id="member-checkout" data-card="${html(card.id)}"><b>${html(program.name)}</b>
${points}${balance}<div id="quote-lines" class="muted"></div></div>`;
}
