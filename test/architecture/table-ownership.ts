import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Which module declares each table: the `interface …Tables { table: Row }` of its schema files. */
export function tableOwners(root: string): { owners: Map<string, string>; duplicates: string[] } {
  const owners = new Map<string, string>();
  const duplicates: string[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    if (!file.endsWith('.schema.ts')) continue;
    const owner = ownerOf(relative(root, file));
    const text = readFileSync(file, 'utf8');
    for (const block of text.matchAll(/export interface \w+Tables\b[^{]*\{([^}]*)\}/g)) {
      for (const [, table] of block[1]!.matchAll(/^\s*([a-z_]+):/gm)) {
        if (owners.has(table!)) duplicates.push(`${table} (${owners.get(table!)} and ${owner})`);
        else owners.set(table!, owner);
      }
    }
  }
  return { owners, duplicates };
}

/** The module a file belongs to: `orders` for src/modules/orders/…, `platform` for src/platform/…, else `app`. */
export function ownerOf(path: string): string {
  const module = /^src\/modules\/([^/]+)\//.exec(path)?.[1];
  if (module) return module;
  return path.startsWith('src/platform/') ? 'platform' : 'app';
}

// Kysely calls that name a table, and the tables raw SQL reads or writes.
const BUILDER =
  /\b(?:selectFrom|insertInto|updateTable|deleteFrom|replaceInto|innerJoin|leftJoin|rightJoin|fullJoin|mergeInto|using)\(\s*['"`]([a-z_]+)/g;
const RAW = /\b(?:from|join|into|update)\s+([a-z_]+)\b/gi;

/** Every table a piece of code touches, with the line it does it on. */
export function tablesTouched(
  code: string,
  known: ReadonlySet<string>,
): Array<{ table: string; line: number }> {
  const found: Array<{ table: string; line: number }> = [];
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;
  for (const match of code.matchAll(BUILDER)) found.push({ table: match[1]!, line: lineOf(match.index) });
  for (const template of code.matchAll(/\bsql`([^`]*)`/g)) {
    for (const match of template[1]!.matchAll(RAW)) {
      if (known.has(match[1]!)) found.push({ table: match[1]!, line: lineOf(template.index + match.index) });
    }
  }
  return found.filter((f) => known.has(f.table));
}

/**
 * Every place where code of one module touches a table another module declares. Migrations are
 * exempt (a one-time data move between owners happens there), and tests may arrange any rows.
 */
export function crossModuleAccesses(root: string): string[] {
  const { owners } = tableOwners(root);
  const known = new Set(owners.keys());
  const violations: string[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const path = relative(root, file);
    if (path.includes('/migrations/') || path.endsWith('.test.ts')) continue;
    const module = ownerOf(path);
    for (const { table, line } of tablesTouched(readFileSync(file, 'utf8'), known)) {
      if (owners.get(table) !== module)
        violations.push(`${path}:${line} touches ${table}, owned by ${owners.get(table)}`);
    }
  }
  return violations;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}
