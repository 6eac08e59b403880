import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

// One dictionary for the process: loading it takes ~100 ms, cutting a sentence a few µs.
let jieba: Jieba | null = null;
function instance(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

// Words that say nothing about what a fan wants ("我想买一条…").
const STOPWORDS = new Set(
  '的 了 吗 呢 吧 啊 我 你 他 她 想 要 买 有 没 是 在 和 与 及 或 请 帮 一条 一件 一个 一下 一些 这个 那个 什么 怎么 多少 可以 还有 看看 推荐 给 找 能 不 就 都 也 还 哪 些'.split(
    ' ',
  ),
);
const MEANINGLESS = /^[\p{P}\p{S}\s]+$/u;

/**
 * Search terms of a text: jieba's search-mode cut (long words and their parts), lower-cased,
 * without stopwords, punctuation, or single Latin letters and digits.
 */
export function terms(text: string): string[] {
  const out = new Set<string>();
  for (const raw of instance().cutForSearch(text.toLowerCase(), true)) {
    const word = raw.trim();
    if (!word || STOPWORDS.has(word) || MEANINGLESS.test(word)) continue;
    if (word.length === 1 && /[a-z0-9]/.test(word)) continue;
    out.add(word);
  }
  return [...out];
}

/** Adds words (e.g. a merchant's brand or product names) so they are cut as one. */
export function addWords(words: readonly string[]): void {
  const lines = words.map((w) => w.trim()).filter((w) => w && !/\s/.test(w));
  if (lines.length) instance().loadDict(Buffer.from(lines.map((w) => `${w} 100000`).join('\n')));
}
