// A synthetic merchant catalog for benchmarks: several verticals, each with its own brands,
// nouns, adjectives and specs, titles built the way Chinese shop titles are (brand + season +
// adjectives + noun + spec), sales on a long-tailed curve. Deterministic for a given seed.

export interface GeneratedProduct {
  title: string;
  subtitle: string;
  category: string;
  tags: string[];
  sales: number;
  inStock: boolean;
  onSale: boolean;
  price: number;
}

interface Vertical {
  share: number;
  category: string;
  brands: string[];
  nouns: Array<[string, string]>; // [noun, sub-category]
  adjectives: string[];
  specs: string[];
  tags: string[];
}

const COLOURS = ['红色', '黑色', '白色', '藏青', '米色', '粉色', '墨绿', '卡其', '杏色', '雾霾蓝'];

export const VERTICALS: Vertical[] = [
  {
    share: 0.5,
    category: '女装',
    brands: ['蔓诗', '拉夏贝尔', '伊芙丽', '太平鸟', '秋水伊人', '茵曼', '乐町', '欧时力'],
    nouns: [
      ['连衣裙', '连衣裙'],
      ['连衣裙', '连衣裙'],
      ['连衣裙', '连衣裙'],
      ['连衣裙', '连衣裙'],
      ['连衣裙', '连衣裙'],
      ['连衣裙', '连衣裙'],
      ['半身裙', '半身裙'],
      ['衬衫', '衬衫'],
      ['风衣', '外套'],
      ['开衫', '针织衫'],
      ['羽绒服', '外套'],
    ],
    adjectives: [
      '法式',
      '复古',
      '通勤',
      '休闲',
      '韩版',
      '宽松',
      '修身',
      '碎花',
      '真丝',
      '雪纺',
      '针织',
      '收腰显瘦',
    ],
    specs: ['中长款', '短款', 'S-XL', '大码', '春秋款', '夏季薄款'],
    tags: ['新品', '爆款', '显瘦', '百搭'],
  },
  {
    share: 0.14,
    category: '美妆',
    brands: ['花西子', '珀莱雅', '完美日记', '自然堂', '百雀羚', '薇诺娜'],
    nouns: [
      ['补水面膜', '面膜'],
      ['精华液', '精华'],
      ['口红', '口红'],
      ['防晒霜', '防晒'],
      ['洗面奶', '洁面'],
      ['粉底液', '底妆'],
    ],
    adjectives: ['保湿', '美白', '控油', '敏感肌', '持久', '哑光', '温和', '清爽'],
    specs: ['30ml', '50g', '10片装', '礼盒装', '旅行装'],
    tags: ['正品', '国货', '敏感肌可用'],
  },
  {
    share: 0.12,
    category: '食品',
    brands: ['三只松鼠', '良品铺子', '桂花鸭', '韩复兴', '百草味', '来伊份'],
    nouns: [
      ['南京板鸭', '特产'],
      ['盐水鸭', '特产'],
      ['牛肉干', '零食'],
      ['坚果礼盒', '零食'],
      ['茶叶', '茶饮'],
      ['月饼', '糕点'],
    ],
    adjectives: ['手工', '真空', '香辣', '五香', '原味', '低糖', '传统'],
    specs: ['500g', '1kg', '礼盒装', '家庭装', '独立小包装'],
    tags: ['南京特产', '年货', '送礼'],
  },
  {
    share: 0.1,
    category: '家电',
    brands: ['美的', '九阳', '苏泊尔', '科沃斯', '石头', '格力', '海尔'],
    nouns: [
      ['电饭煲', '厨房'],
      ['扫地机器人', '清洁'],
      ['空气净化器', '生活'],
      ['电风扇', '生活'],
      ['破壁机', '厨房'],
      ['吸尘器', '清洁'],
    ],
    adjectives: ['智能', '家用', '静音', '节能', '多功能', '自动', '大容量'],
    specs: ['4L', '5L', '1200W', '遥控款', 'WiFi版'],
    tags: ['以旧换新', '包安装', '一级能效'],
  },
  {
    share: 0.09,
    category: '数码',
    brands: ['小米', '华为', '绿联', '倍思', '漫步者', 'Anker'],
    nouns: [
      ['手机壳', '配件'],
      ['充电宝', '配件'],
      ['蓝牙耳机', '影音'],
      ['数据线', '配件'],
      ['智能手表', '穿戴'],
    ],
    adjectives: ['快充', '无线', '降噪', '防摔', '超薄', '透明', '运动'],
    specs: ['20000mAh', 'Type-C', '1米', '2米', 'iPhone 16适用'],
    tags: ['正品', '官方授权'],
  },
  {
    share: 0.05,
    category: '母婴',
    brands: ['好孩子', '贝亲', '帮宝适', '乐高', '巴拉巴拉'],
    nouns: [
      ['纸尿裤', '尿裤'],
      ['积木', '玩具'],
      ['奶瓶', '喂养'],
      ['婴儿推车', '出行'],
      ['儿童连衣裙', '童装'],
    ],
    adjectives: ['宝宝', '新生儿', '益智', '轻便', '防胀气', '纯棉'],
    specs: ['M码', 'L码', '240ml', '6-12个月', '3岁以上'],
    tags: ['安全材质', '宝妈推荐'],
  },
];

/** A seeded PRNG (mulberry32): the same catalog and queries on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;

function vertical(rnd: () => number): Vertical {
  let r = rnd();
  for (const v of VERTICALS) {
    r -= v.share;
    if (r <= 0) return v;
  }
  return VERTICALS[0]!;
}

export function* products(count: number, seed = 1): Generator<GeneratedProduct> {
  const rnd = random(seed);
  for (let i = 0; i < count; i++) {
    const v = vertical(rnd);
    const [noun, sub] = pick(rnd, v.nouns);
    const brand = pick(rnd, v.brands);
    const adjectives = [pick(rnd, v.adjectives), pick(rnd, v.adjectives)];
    const colour = v.category === '女装' || rnd() < 0.3 ? pick(rnd, COLOURS) : '';
    const year = rnd() < 0.4 ? `${2025 + Math.floor(rnd() * 2)}新款 ` : '';
    const title = `${brand} ${year}${[...new Set(adjectives)].join('')}${colour}${noun} ${pick(rnd, v.specs)}`;
    yield {
      title,
      subtitle: `${pick(rnd, v.adjectives)}${pick(rnd, v.adjectives)} ${pick(rnd, v.tags)}`,
      category: `${v.category}/${sub}`,
      tags: [pick(rnd, v.tags), ...(colour ? [colour] : [])],
      // Long tail: most products sell little, a few sell a lot.
      sales: Math.floor(20_000 * rnd() ** 6),
      inStock: rnd() > 1 / 7,
      onSale: rnd() > 0.1,
      price: 990 + Math.floor(rnd() * 500) * 100,
    };
  }
}

const CHAT = ['你好', '在吗', '发货了吗', '怎么退货', '谢谢', '优惠券怎么用'];

/** Chat-style queries: what fans type into an Official Account's message box. */
export function queries(count: number, seed = 2): string[] {
  const rnd = random(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const v = vertical(rnd);
    const [noun] = pick(rnd, v.nouns);
    const adjective = pick(rnd, v.adjectives);
    const brand = pick(rnd, v.brands);
    const colour = pick(rnd, COLOURS);
    const templates = [
      () => noun,
      () => `${colour}${noun}`,
      () => `我想买一条${colour}${noun}`,
      () => `有没有${brand}的${noun}`,
      () => `${brand}${noun}多少钱`,
      () => `推荐一款${adjective}的${noun}`,
      () => `${adjective}${noun} ${pick(rnd, v.specs)}`,
      () => `${brand}`,
      () => `${adjective}${adjective === '法式' ? '复古' : ''}${noun}还有货吗`,
      () => pick(rnd, CHAT),
    ];
    out.push(pick(rnd, templates)());
  }
  return out;
}
