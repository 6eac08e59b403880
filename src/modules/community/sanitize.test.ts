import { describe, expect, it } from 'vitest';
import { productIdsIn, safeUrl, sanitizeHtml, textOf } from './sanitize.ts';

describe('article HTML sanitiser', () => {
  it('keeps allow-listed tags and attributes and drops the rest', () => {
    expect(sanitizeHtml('<p class="x" style="color:red" onclick="alert(1)">你好 <b>世界</b></p>')).toBe(
      '<p>你好 <b>世界</b></p>',
    );
    expect(sanitizeHtml('<img src="https://img.example/a.jpg" onerror="alert(1)" alt="图">')).toBe(
      '<img src="https://img.example/a.jpg" alt="图">',
    );
    expect(sanitizeHtml('<marquee>跑</marquee>')).toBe('跑');
  });

  it('drops scripts, styles and frames with their content', () => {
    expect(sanitizeHtml('a<script>alert(1)</script>b<style>*{}</style>c<iframe src="x"></iframe>d')).toBe(
      'abcd',
    );
    expect(sanitizeHtml('<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok')).toBe('ok');
    expect(sanitizeHtml('<svg><script>alert(1)</script></svg>ok')).toBe('ok');
    expect(sanitizeHtml('x<!-- <script>alert(1)</script> -->y')).toBe('xy');
  });

  it('refuses script URLs however they are disguised', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'java\tscript:alert(1)',
      '&#106;avascript:alert(1)',
      '&#x6A;avascript:alert(1)',
      ' javascript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      '//evil.example/',
      'vbscript:x',
    ]) {
      expect(sanitizeHtml(`<a href="${href}">x</a>`), href).toBe('<a rel="noopener nofollow">x</a>');
    }
    expect(safeUrl('https://shop.example/p?a=1&amp;b=2')).toBe('https://shop.example/p?a=1&b=2');
    expect(safeUrl('/shop/wx1/products/prd_1')).toBe('/shop/wx1/products/prd_1');
    expect(sanitizeHtml('<img src="javascript:alert(1)">')).toBe('');
  });

  it('escapes text and stray angle brackets, keeps entities, and closes what was left open', () => {
    expect(sanitizeHtml('1 < 2 & 3 > 2 &amp; ok')).toBe('1 &lt; 2 &amp; 3 &gt; 2 &amp; ok');
    expect(sanitizeHtml('<p><b>粗')).toBe('<p><b>粗</b></p>');
    expect(sanitizeHtml('<p>a</b></p>')).toBe('<p>a</p>');
    expect(sanitizeHtml('<a href="/x" title="&quot;><script>">t</a>')).toBe(
      '<a href="/x" title="&quot;&gt;&lt;script&gt;" rel="noopener nofollow">t</a>',
    );
    expect(sanitizeHtml('<<img src=x onerror=alert(1)//>')).toBe('&lt;');
  });

  it('keeps product cards by id only, and lists them', () => {
    const body = sanitizeHtml(
      '<product-card data-product-id="prd_1" onclick="x"></product-card><product-card data-product-id="bad id"></product-card><product-card data-product-id="prd_2">',
    );
    expect(body).toBe(
      '<product-card data-product-id="prd_1"></product-card><product-card data-product-id="prd_2"></product-card>',
    );
    expect(productIdsIn(`${body}${body}`)).toEqual(['prd_1', 'prd_2']);
    expect(textOf('<p>本周 <b>新品</b>&amp;好物</p>')).toBe('本周 新品 &好物');
  });
});
