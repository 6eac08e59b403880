import type { Ctx } from './context.ts';
import {
  addSales,
  addSynonyms,
  createProduct,
  createStore,
  type ProductInput,
} from './modules/catalog/index.ts';

const DAY = 24 * 3_600_000;

// Stores in several cities: [city, name, address, lat, lng, phone, opens, closes]
const STORES: Array<[string, string, string, number, number, string, string, string]> = [
  ['南京', '新街口旗舰店', '南京市秦淮区中山南路 1 号', 32.0417, 118.7843, '025-84600001', '09:00', '22:00'],
  ['南京', '夫子庙店', '南京市秦淮区贡院街 88 号', 32.0208, 118.7888, '025-84600002', '10:00', '23:00'],
  ['南京', '河西万达店', '南京市建邺区江东中路 98 号', 32.0055, 118.7306, '025-84600003', '10:00', '22:00'],
  ['上海', '南京西路店', '上海市静安区南京西路 1618 号', 31.2254, 121.449, '021-62880001', '10:00', '22:00'],
  ['上海', '陆家嘴店', '上海市浦东新区世纪大道 8 号', 31.2397, 121.4998, '021-62880002', '10:00', '22:00'],
  ['北京', '三里屯店', '北京市朝阳区三里屯路 19 号', 39.9334, 116.4544, '010-64170001', '10:00', '22:00'],
  ['北京', '西单店', '北京市西城区西单北大街 131 号', 39.9105, 116.374, '010-64170002', '10:00', '22:00'],
  ['杭州', '湖滨银泰店', '杭州市上城区延安路 258 号', 30.259, 120.1645, '0571-87000001', '10:00', '22:00'],
];

const sizes = (price: number, stock: number) =>
  ['S', 'M', 'L'].map((size, i) => ({
    spec: { 颜色: i === 2 ? '黑色' : '红色', 尺码: size },
    price,
    original_price: Math.round(price * 1.6),
    stock: stock + i * 5,
  }));

const GOODS: ProductInput[] = [
  {
    title: '法式碎花雪纺连衣裙',
    subtitle: '春夏新款 收腰显瘦',
    category: '女装/连衣裙',
    tags: ['新品', '碎花'],
    skus: sizes(19900, 30),
  },
  {
    title: '红色针织修身连衣裙',
    subtitle: '秋冬打底 通勤百搭',
    category: '女装/连衣裙',
    tags: ['红色', '针织'],
    skus: sizes(25900, 20),
  },
  {
    title: '黑色小香风半身裙',
    subtitle: '高腰 A 字',
    category: '女装/半身裙',
    tags: ['小香风'],
    skus: sizes(15900, 25),
  },
  {
    title: '真丝印花衬衫',
    subtitle: '100% 桑蚕丝',
    category: '女装/衬衫',
    tags: ['真丝'],
    skus: sizes(39900, 10),
  },
  {
    title: '玻尿酸补水保湿面膜 10 片装',
    subtitle: '干皮救星',
    category: '美妆/面膜',
    tags: ['补水', '保湿'],
    skus: [{ spec: {}, price: 8900, original_price: 12900, stock: 200 }],
  },
  {
    title: '氨基酸温和洁面乳',
    subtitle: '敏感肌可用',
    category: '美妆/洁面',
    tags: ['敏感肌'],
    skus: [{ spec: {}, price: 6900, stock: 150 }],
  },
  {
    title: '烟酰胺美白精华液',
    subtitle: '提亮肤色',
    category: '美妆/精华',
    tags: ['美白'],
    skus: [
      { spec: { 容量: '30ml' }, price: 19900, stock: 80 },
      { spec: { 容量: '50ml' }, price: 29900, stock: 40 },
    ],
  },
  {
    title: '南京板鸭 真空礼盒装',
    subtitle: '老字号 传统腌制',
    category: '食品/南京特产',
    tags: ['南京特产', '年货'],
    skus: [
      { spec: { 规格: '1 只装' }, price: 8800, stock: 300 },
      { spec: { 规格: '2 只礼盒' }, price: 16800, stock: 120 },
    ],
  },
  {
    title: '南京盐水鸭 整只',
    subtitle: '皮白肉嫩 肥而不腻',
    category: '食品/南京特产',
    tags: ['南京特产'],
    skus: [{ spec: {}, price: 5800, stock: 200 }],
  },
  {
    title: '鸭血粉丝汤 速食 6 盒',
    subtitle: '地道南京味',
    category: '食品/速食',
    tags: ['南京特产'],
    skus: [{ spec: {}, price: 4900, stock: 500 }],
  },
  {
    title: '家用空气净化器 除甲醛',
    subtitle: 'HEPA 滤网 适用 60㎡',
    category: '家电/空气净化',
    tags: ['除甲醛'],
    guide_install:
      '1. 拆开包装，取出滤网并撕掉塑料膜；\n2. 按箭头方向装回滤网，盖好后盖；\n3. 接通电源，长按电源键 3 秒开机。',
    guide_maintenance: '每两周用吸尘器清理初效滤网；HEPA 滤网约 6 个月更换一次，机身提示灯变红时请更换。',
    skus: [{ spec: {}, price: 129900, original_price: 169900, stock: 40 }],
  },
];

const DEALS: Array<[string, string, number, number, number]> = [
  // city, title, price, original, sales
  ['南京', '新街口店 双人下午茶套餐', 6800, 12800, 1520],
  ['南京', '夫子庙店 鸭血粉丝汤+汤包 套餐', 2500, 3800, 3210],
  ['南京', '河西万达店 4 人火锅套餐', 19900, 32800, 860],
  ['南京', '新街口店 精品手冲咖啡 2 杯', 3900, 7600, 2045],
  ['南京', '夫子庙店 秦淮夜游船票', 6000, 8000, 980],
  ['南京', '河西店 亲子烘焙体验课', 9900, 19800, 310],
  ['上海', '南京西路店 法式下午茶', 12800, 22800, 760],
  ['上海', '陆家嘴店 景观餐厅双人套餐', 39900, 59900, 420],
  ['北京', '三里屯店 精酿啤酒畅饮', 8800, 15800, 1130],
  ['北京', '西单店 北京烤鸭双人套餐', 19800, 29800, 2400],
];

/** The demo merchant's catalog: women's wear, beauty, 南京 food, an appliance with guides, stores, deals. */
export async function seedDemoCatalog(ctx: Ctx): Promise<void> {
  const storeIds = new Map<string, string[]>();
  for (const [city, name, address, latitude, longitude, phone, opens_at, closes_at] of STORES) {
    const store = await createStore(ctx, {
      city,
      name,
      address,
      latitude,
      longitude,
      phone,
      opens_at,
      closes_at,
    });
    storeIds.set(city, [...(storeIds.get(city) ?? []), store.id]);
  }
  for (const product of GOODS) await createProduct(ctx, { ...product, status: 'on_sale' });
  for (const [city, title, price, original, sales] of DEALS) {
    const deal = await createProduct(ctx, {
      kind: 'deal',
      title,
      subtitle: '随时退 · 过期自动退',
      category: '本地生活/团购',
      city,
      status: 'on_sale',
      valid_until: ctx.now + 90 * DAY,
      store_ids: storeIds.get(city) ?? [],
      skus: [{ spec: {}, price, original_price: original, stock: 1000 }],
    });
    await addSales(ctx, deal.id, sales);
  }
  await addSynonyms(ctx, ['连衣裙', '裙子', '长裙']);
  await addSynonyms(ctx, ['面膜', '贴片']);
}
