// China's municipalities, provincial capitals and other large cities: the names fans send to
// ask "what's on in my city". Merchants' own store cities are recognised as well.
const CITIES =
  '北京 上海 天津 重庆 广州 深圳 杭州 南京 苏州 成都 武汉 西安 长沙 郑州 济南 青岛 沈阳 大连 哈尔滨 长春 石家庄 太原 呼和浩特 合肥 福州 厦门 南昌 南宁 海口 三亚 昆明 贵阳 拉萨 兰州 西宁 银川 乌鲁木齐 宁波 无锡 常州 南通 扬州 徐州 温州 绍兴 嘉兴 金华 台州 佛山 东莞 珠海 中山 惠州 汕头 泉州 漳州 烟台 潍坊 临沂 洛阳 唐山 保定 廊坊 芜湖 桂林 柳州 绵阳 宜昌 襄阳 岳阳 株洲 赣州 九江 香港 澳门 台北'.split(
    ' ',
  );
const KNOWN = new Set(CITIES);

/** The city a message names, if the whole message is a city ("南京", "南京市", "南京 "). */
export function cityIn(text: string, extra: Iterable<string> = []): string | null {
  const name = text
    .trim()
    .replace(/[。！？!?.\s]+$/u, '')
    .replace(/(市|地区)$/u, '');
  if (!name || name.length > 8) return null;
  if (KNOWN.has(name)) return name;
  for (const city of extra) if (city === name) return name;
  return null;
}
