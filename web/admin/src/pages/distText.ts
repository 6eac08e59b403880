import { useContext } from 'react';
import { LangContext } from '../i18n.ts';

/** Distribution and agent pages carry their English beside the Chinese (no shared dictionary edits). */
export function useTr() {
  const lang = useContext(LangContext);
  return (zh: string, en: string) => (lang === 'en' ? en : zh);
}

export interface TreeRow {
  id: string;
  parent_id: string | null;
}

/** Nests a flat list (parents before or after children) into Ant Design tree data. */
export function nest<T extends TreeRow>(rows: T[], label: (row: T) => React.ReactNode) {
  type Node = { key: string; title: React.ReactNode; children: Node[] };
  const nodes = new Map<string, Node>(rows.map((r) => [r.id, { key: r.id, title: label(r), children: [] }]));
  const roots: Node[] = [];
  for (const r of rows) {
    const node = nodes.get(r.id)!;
    const parent = r.parent_id ? nodes.get(r.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Rates: basis points shown as percent, or fen per unit shown as yuan. */
export const rateText = (kind: string, value: number) =>
  kind === 'percent' ? `${(value / 100).toFixed(2)}%` : `¥${(value / 100).toFixed(2)}`;
