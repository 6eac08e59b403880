import type { FastifyReply } from 'fastify';

/** Escapes text for HTML element content and quoted attributes. */
export const html = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STYLE = `
body{margin:0;font:15px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f5f5;color:#222}
header{background:#07c160;color:#fff;padding:12px 16px;font-size:17px}main{padding:8px 8px 96px}
.card{background:#fff;border-radius:8px;padding:12px;margin:8px 0}.price{color:#fa5151;font-weight:600}
.muted{color:#888;font-size:13px}a{color:#576b95;text-decoration:none}del{color:#aaa;margin-left:6px}
.bar{position:fixed;left:0;right:0;bottom:0;background:#fff;padding:10px 12px;box-shadow:0 -1px 4px rgba(0,0,0,.08);display:flex;gap:8px}
.btn{flex:1;border:0;border-radius:6px;padding:12px;font-size:16px;background:#07c160;color:#fff}.btn.secondary{background:#f2f2f2;color:#222}
.sku{display:inline-block;border:1px solid #ddd;border-radius:4px;padding:4px 10px;margin:4px 6px 0 0}.sku input{display:none}
.sku:has(input:checked){border-color:#07c160;color:#07c160}.sku.out{color:#bbb}
label.field{display:block;margin:6px 0}label.field input{width:100%;box-sizing:border-box;padding:8px;border:1px solid #ddd;border-radius:4px;font-size:15px}
.sheet{position:fixed;inset:0;background:rgba(0,0,0,.5);display:flex;align-items:flex-end}.sheet>div{background:#fff;width:100%;border-radius:12px 12px 0 0;padding:20px;text-align:center}
.sheet .amount{font-size:32px;font-weight:600;margin:12px 0}.error{color:#fa5151}.ok{color:#07c160;font-size:20px}`;

/**
 * A mobile page in WeChat's look; scripts only from this server (no inline script), plus the
 * origins a page names (WeChat's JS-SDK, which a page loads itself only inside WeChat).
 */
export function mobilePage(
  reply: FastifyReply,
  title: string,
  body: string,
  options: { status?: number; scripts?: string[]; scriptOrigins?: string[] } = {},
) {
  const scripts = (options.scripts ?? []).map((src) => `<script src="${html(src)}" defer></script>`).join('');
  // Another origin's script only when a page names it (WeChat's JS-SDK), never inline script.
  const origins = options.scriptOrigins?.length
    ? `; script-src 'self' ${options.scriptOrigins.join(' ')}`
    : '';
  return reply
    .status(options.status ?? 200)
    .type('text/html; charset=utf-8')
    .header(
      'content-security-policy',
      `default-src 'self'; img-src * data:; style-src 'unsafe-inline'${origins}`,
    )
    .send(
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${html(title)}</title><style>${STYLE}</style>${scripts}</head><body><header>${html(title)}</header><main>${body}</main></body></html>`,
    );
}
