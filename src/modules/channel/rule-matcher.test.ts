import { describe, expect, it } from 'vitest';
import type { ReplyRulesTable } from './channel.schema.ts';
import { compileRules, isSafeRegex } from './rule-matcher.ts';

let seq = 0;
function row(partial: Partial<ReplyRulesTable> & Pick<ReplyRulesTable, 'kind'>): ReplyRulesTable {
  seq += 1;
  return {
    id: `rule_${String(seq).padStart(4, '0')}`,
    merchant_id: 'm',
    account_id: 'a',
    match_type: partial.kind === 'keyword' ? 'exact' : null,
    keyword: null,
    priority: 0,
    reply: JSON.stringify({ type: 'text', content: partial.keyword ?? partial.kind }),
    tag_fan: null,
    enabled: 1,
    starts_at: null,
    ends_at: null,
    created_at: seq,
    updated_at: seq,
    ...partial,
  };
}
const reply = (rule: { reply: unknown } | null) =>
  (rule?.reply as { content: string } | undefined)?.content ?? null;

describe('rule matcher', () => {
  it('finds every "contains" keyword in one pass and picks the best priority', () => {
    const m = compileRules([
      row({ kind: 'keyword', match_type: 'contains', keyword: '裙' }),
      row({ kind: 'keyword', match_type: 'contains', keyword: '连衣裙', priority: 5 }),
      row({ kind: 'keyword', match_type: 'contains', keyword: '衣裙子' }),
      row({ kind: 'keyword', match_type: 'contains', keyword: 'he' }),
      row({ kind: 'keyword', match_type: 'contains', keyword: 'she', priority: 1 }),
      row({ kind: 'keyword', match_type: 'contains', keyword: 'hers', priority: 2 }),
    ]);
    expect(reply(m.match('我想买红色连衣裙', 0))).toBe('连衣裙');
    expect(reply(m.match('半身裙', 0))).toBe('裙');
    expect(reply(m.match('ushers', 0))).toBe('hers');
    expect(reply(m.match('ushe', 0))).toBe('she');
    expect(m.match('裤子', 0)).toBeNull();
  });

  it('lets the higher priority win across exact, contains and regex, then the earlier rule', () => {
    const m = compileRules([
      row({ kind: 'keyword', match_type: 'exact', keyword: 'vip1' }),
      row({ kind: 'keyword', match_type: 'regex', keyword: '^vip\\d$', priority: 3 }),
      row({ kind: 'keyword', match_type: 'contains', keyword: 'vip', priority: 3 }),
    ]);
    expect(reply(m.match('VIP1', 0))).toBe('^vip\\d$');
    expect(reply(m.match('vip会员', 0))).toBe('vip');
  });

  it('separates clicks, welcome and default, and skips disabled or out-of-window rules', () => {
    const m = compileRules([
      row({ kind: 'click', keyword: 'NEW' }),
      row({ kind: 'welcome' }),
      row({ kind: 'default' }),
      row({ kind: 'keyword', keyword: 'off', enabled: 0 }),
      row({ kind: 'keyword', keyword: 'later', starts_at: 100, ends_at: 200 }),
    ]);
    expect(reply(m.click('NEW', 0))).toBe('NEW');
    expect(reply(m.welcome(0))).toBe('welcome');
    expect(reply(m.fallback(0))).toBe('default');
    expect(m.match('off', 0)).toBeNull();
    expect(m.match('later', 50)).toBeNull();
    expect(reply(m.match('later', 150))).toBe('later');
    expect(m.match('later', 200)).toBeNull();
  });

  it('refuses regexes prone to catastrophic backtracking', () => {
    expect(isSafeRegex('^订单\\d+$')).toBe(true);
    expect(isSafeRegex('(a+)+$')).toBe(false);
    expect(isSafeRegex('(\\w*)*x')).toBe(false);
    expect(isSafeRegex('([')).toBe(false);
  });
});
