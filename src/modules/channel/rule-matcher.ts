import type { PassiveReply } from '../../wechat/messages.ts';
import type { MatchType, ReplyRulesTable } from './channel.schema.ts';

export interface CompiledRule {
  id: string;
  reply: PassiveReply;
  tagFan: string | null;
  startsAt: number | null;
  endsAt: number | null;
  /** Position in priority order: lower wins. */
  rank: number;
}

interface ScanningRule extends CompiledRule {
  test(text: string): boolean;
}

/**
 * One account's rules, compiled for the callback's hot path: exact keywords in a hash map,
 * "contains" and regex rules in priority order, so the common case costs one lookup and the
 * scan stops as soon as nothing better can follow.
 */
export interface RuleMatcher {
  match(text: string, now: number): CompiledRule | null;
  click(key: string, now: number): CompiledRule | null;
  welcome(now: number): CompiledRule | null;
  fallback(now: number): CompiledRule | null;
}

export const normalize = (text: string) => text.trim().toLowerCase();

function live(rule: CompiledRule, now: number): boolean {
  return (rule.startsAt === null || rule.startsAt <= now) && (rule.endsAt === null || now < rule.endsAt);
}

const firstLive = (rules: readonly CompiledRule[] | undefined, now: number) =>
  rules?.find((r) => live(r, now)) ?? null;

/** Refuses patterns with nested quantifiers such as (a+)+, the usual road to catastrophic backtracking. */
export function isSafeRegex(pattern: string): boolean {
  if (pattern.length > 200) return false;
  if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]/.test(pattern)) return false;
  try {
    new RegExp(pattern, 'iu');
    return true;
  } catch {
    return false;
  }
}

export function compileRules(rows: readonly ReplyRulesTable[]): RuleMatcher {
  const ordered = rows
    .filter((r) => r.enabled === 1)
    .sort((a, b) => b.priority - a.priority || a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  const exact = new Map<string, CompiledRule[]>();
  const scanning: ScanningRule[] = [];
  const clicks = new Map<string, CompiledRule[]>();
  const welcome: CompiledRule[] = [];
  const fallback: CompiledRule[] = [];
  ordered.forEach((row, rank) => {
    const rule: CompiledRule = {
      id: row.id,
      reply: JSON.parse(row.reply) as PassiveReply,
      tagFan: row.tag_fan,
      startsAt: row.starts_at,
      endsAt: row.ends_at,
      rank,
    };
    const keyword = row.keyword ?? '';
    const push = (map: Map<string, CompiledRule[]>, key: string) =>
      map.set(key, [...(map.get(key) ?? []), rule]);
    switch (row.kind) {
      case 'welcome':
        welcome.push(rule);
        return;
      case 'default':
        fallback.push(rule);
        return;
      case 'click':
        push(clicks, keyword);
        return;
      case 'keyword':
        addKeywordRule(row.match_type ?? 'exact', normalize(keyword), rule, exact, scanning, push);
    }
  });

  return {
    match(text, now) {
      const input = normalize(text);
      if (!input) return null;
      let best = firstLive(exact.get(input), now);
      for (const rule of scanning) {
        if (best && rule.rank > best.rank) break;
        if (live(rule, now) && rule.test(input)) {
          best = rule;
          break;
        }
      }
      return best;
    },
    click: (key, now) => firstLive(clicks.get(key), now),
    welcome: (now) => firstLive(welcome, now),
    fallback: (now) => firstLive(fallback, now),
  };
}

function addKeywordRule(
  match: MatchType,
  keyword: string,
  rule: CompiledRule,
  exact: Map<string, CompiledRule[]>,
  scanning: ScanningRule[],
  push: (map: Map<string, CompiledRule[]>, key: string) => void,
): void {
  if (match === 'exact') {
    push(exact, keyword);
  } else if (match === 'contains') {
    scanning.push({ ...rule, test: (text) => text.includes(keyword) });
  } else if (isSafeRegex(keyword)) {
    const pattern = new RegExp(keyword, 'iu');
    scanning.push({ ...rule, test: (text) => pattern.test(text) });
  }
}
