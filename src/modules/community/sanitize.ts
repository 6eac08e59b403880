/**
 * The article body's HTML, rebuilt from an allow-list: a tokenizer reads tags and text, and only
 * allow-listed tags with allow-listed attributes are written back (values re-escaped, links and
 * images only http(s) or this site's paths). Anything else is dropped or becomes escaped text,
 * so what a fan's browser parses is exactly what was written here.
 */

const VOID = new Set(['br', 'hr', 'img']);
const ALLOWED: Record<string, readonly string[]> = {
  p: [],
  br: [],
  hr: [],
  h2: [],
  h3: [],
  h4: [],
  strong: [],
  b: [],
  em: [],
  i: [],
  u: [],
  s: [],
  blockquote: [],
  ul: [],
  ol: [],
  li: [],
  pre: [],
  code: [],
  span: [],
  div: [],
  figure: [],
  figcaption: [],
  a: ['href', 'title'],
  img: ['src', 'alt', 'width', 'height'],
  // A product card: rendered from the catalog at read time, by id.
  'product-card': ['data-product-id'],
};
/** Dropped with everything inside them. */
const DROP_WITH_CONTENT = new Set([
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'template',
  'noscript',
  'textarea',
  'title',
  'xmp',
  'svg',
  'math',
  'select',
  'frameset',
  'noembed',
  'plaintext',
]);

export const PRODUCT_ID = /^[A-Za-z0-9_]{1,64}$/;

const escapeText = (text: string) =>
  text
    .replace(/&(?!(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');

const escapeAttr = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(value: string): string {
  return value.replace(/&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});?/g, (whole, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X')) return safeChar(Number.parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return safeChar(Number.parseInt(body.slice(1), 10));
    return NAMED[body.toLowerCase()] ?? whole;
  });
}
const safeChar = (code: number) => (code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '');

/** http(s) anywhere, or a path on this site; never javascript:, data: or a protocol-relative host. */
export function safeUrl(raw: string): string | null {
  // Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const value = decodeEntities(raw).replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  if (!value || value.length > 1000) return null;
  if (/^https?:\/\//i.test(value)) return value;
  if (value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\')) return value;
  return null;
}

function cleanAttr(tag: string, name: string, value: string): string | null {
  if (!ALLOWED[tag]?.includes(name)) return null;
  if (name === 'href' || name === 'src') return safeUrl(value);
  if (name === 'width' || name === 'height') return /^\d{1,4}$/.test(value) ? value : null;
  if (name === 'data-product-id') return PRODUCT_ID.test(value) ? value : null;
  return decodeEntities(value).slice(0, 200);
}

const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)/;
const ATTR = /^\s*([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/;

/** Reads one tag from `at` (which is a '<'): its name, attributes and where it ends. */
function readTag(input: string, at: number) {
  const head = TAG.exec(input.slice(at, at + 64));
  if (!head) return null;
  const closing = head[1] === '/';
  const name = head[2]!.toLowerCase();
  let i = at + head[0].length;
  const attrs: Array<[string, string]> = [];
  for (;;) {
    const rest = input.slice(i, i + 4096);
    const end = /^\s*\/?>/.exec(rest);
    if (end) return { closing, name, attrs, end: i + end[0].length };
    const attr = ATTR.exec(rest);
    if (!attr || attr[0].length === 0) {
      // Not a tag a browser would close where we think: treat the '<' as text.
      const close = input.indexOf('>', i);
      return close === -1 ? null : { closing, name, attrs, end: close + 1 };
    }
    attrs.push([attr[1]!.toLowerCase(), attr[2] ?? attr[3] ?? attr[4] ?? '']);
    i += attr[0].length;
  }
}

export function sanitizeHtml(input: string): string {
  const out: string[] = [];
  const open: string[] = [];
  let i = 0;
  while (i < input.length) {
    const lt = input.indexOf('<', i);
    if (lt === -1) {
      out.push(escapeText(input.slice(i)));
      break;
    }
    if (lt > i) out.push(escapeText(input.slice(i, lt)));
    if (input.startsWith('<!--', lt)) {
      const end = input.indexOf('-->', lt + 4);
      i = end === -1 ? input.length : end + 3;
      continue;
    }
    if (input.startsWith('<!', lt) || input.startsWith('<?', lt)) {
      const end = input.indexOf('>', lt);
      i = end === -1 ? input.length : end + 1;
      continue;
    }
    const tag = readTag(input, lt);
    if (!tag) {
      out.push('&lt;');
      i = lt + 1;
      continue;
    }
    i = tag.end;
    if (DROP_WITH_CONTENT.has(tag.name)) {
      if (!tag.closing) {
        const close = new RegExp(`</${tag.name}\\s*>`, 'i').exec(input.slice(i));
        i = close ? i + close.index + close[0].length : input.length;
      }
      continue;
    }
    if (!(tag.name in ALLOWED)) continue;
    if (tag.closing) {
      const at = open.lastIndexOf(tag.name);
      if (at === -1) continue;
      while (open.length > at) out.push(`</${open.pop()}>`);
      continue;
    }
    const attrs = tag.attrs
      .map(([name, value]) => [name, cleanAttr(tag.name, name, value)] as const)
      .filter((a): a is readonly [string, string] => a[1] !== null);
    if (tag.name === 'product-card') {
      const id = attrs.find(([n]) => n === 'data-product-id');
      if (id) out.push(`<product-card data-product-id="${escapeAttr(id[1])}"></product-card>`);
      continue;
    }
    if (tag.name === 'img' && !attrs.some(([n]) => n === 'src')) continue;
    const rendered = attrs.map(([n, v]) => ` ${n}="${escapeAttr(v)}"`).join('');
    const rel = tag.name === 'a' ? ' rel="noopener nofollow"' : '';
    out.push(`<${tag.name}${rendered}${rel}>`);
    if (!VOID.has(tag.name)) open.push(tag.name);
  }
  while (open.length > 0) out.push(`</${open.pop()}>`);
  return out.join('');
}

/** The product ids the body's cards name, in order, once each. */
export function productIdsIn(body: string): string[] {
  const ids = [
    ...body.matchAll(/<product-card data-product-id="([A-Za-z0-9_]{1,64})"><\/product-card>/g),
  ].map((m) => m[1]!);
  return [...new Set(ids)];
}

/** The body as plain text (a summary when none was written). */
export function textOf(body: string): string {
  return decodeEntities(body.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}
