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
  const contains: Array<CompiledRule & { keyword: string }> = [];
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
        addKeywordRule(row.match_type ?? 'exact', normalize(keyword), rule, exact, scanning, contains, push);
    }
  });
  const automaton = buildAutomaton(contains);

  return {
    match(text, now) {
      const input = normalize(text);
      if (!input) return null;
      let best = firstLive(exact.get(input), now);
      const contained = bestContained(automaton, input, now);
      if (contained && (!best || contained.rank < best.rank)) best = contained;
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

type ContainsRule = CompiledRule & { keyword: string };

interface TrieNode {
  next: Map<string, number>;
  fail: number;
  /** Rules whose keyword ends here, including those reached through failure links. */
  out: ContainsRule[];
}

/**
 * An Aho–Corasick automaton over the "contains" keywords: one pass over the message finds
 * every keyword in it, however many rules there are.
 */
function buildAutomaton(rules: ContainsRule[]): TrieNode[] {
  const nodes: TrieNode[] = [{ next: new Map(), fail: 0, out: [] }];
  for (const rule of rules) {
    let at = 0;
    for (const char of rule.keyword) {
      let child = nodes[at]!.next.get(char);
      if (child === undefined) {
        child = nodes.length;
        nodes.push({ next: new Map(), fail: 0, out: [] });
        nodes[at]!.next.set(char, child);
      }
      at = child;
    }
    nodes[at]!.out.push(rule);
  }
  const queue = [...nodes[0]!.next.values()];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    for (const [char, child] of nodes[at]!.next) {
      let fail = nodes[at]!.fail;
      while (fail !== 0 && !nodes[fail]!.next.has(char)) fail = nodes[fail]!.fail;
      const target = nodes[fail]!.next.get(char);
      nodes[child]!.fail = target !== undefined && target !== child ? target : 0;
      nodes[child]!.out = [...nodes[child]!.out, ...nodes[nodes[child]!.fail]!.out];
      queue.push(child);
    }
  }
  return nodes;
}

/** The best-ranked live "contains" rule found in `text`, if any. */
function bestContained(nodes: TrieNode[], text: string, now: number): CompiledRule | null {
  let best: CompiledRule | null = null;
  let at = 0;
  for (const char of text) {
    while (at !== 0 && !nodes[at]!.next.has(char)) at = nodes[at]!.fail;
    at = nodes[at]!.next.get(char) ?? 0;
    for (const rule of nodes[at]!.out) {
      if ((!best || rule.rank < best.rank) && live(rule, now)) best = rule;
    }
  }
  return best;
}

function addKeywordRule(
  match: MatchType,
  keyword: string,
  rule: CompiledRule,
  exact: Map<string, CompiledRule[]>,
  scanning: ScanningRule[],
  contains: ContainsRule[],
  push: (map: Map<string, CompiledRule[]>, key: string) => void,
): void {
  if (match === 'exact') {
    push(exact, keyword);
  } else if (match === 'contains') {
    if (keyword) contains.push({ ...rule, keyword });
  } else if (isSafeRegex(keyword)) {
    const pattern = new RegExp(keyword, 'iu');
    scanning.push({ ...rule, test: (text) => pattern.test(text) });
  }
}
