// The fan's growth pages: open a red packet, play a lucky draw, send an address for a prize, and
// on a share page tell WeChat's JS-SDK what the share card says.
(() => {
  const $ = (id) => document.getElementById(id);
  const say = (text, ok) => {
    const box = $('result');
    if (!box) return;
    box.textContent = text;
    box.className = ok ? 'ok' : 'error';
  };
  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error?.message ?? `HTTP ${response.status}`);
    return data;
  }
  const yuan = (fen) => `¥${(fen / 100).toFixed(2)}`;

  const packet = $('open-packet');
  if (packet) {
    packet.addEventListener('click', async () => {
      packet.disabled = true;
      try {
        const got = await post(packet.dataset.url);
        packet.textContent = '已领取';
        say(`${yuan(got.amount)} 已存入微信零钱`, true);
      } catch (error) {
        say(error.message, false);
      }
    });
  }

  const draw = $('play-draw');
  if (draw) {
    draw.addEventListener('click', async () => {
      draw.disabled = true;
      try {
        const order = draw.dataset.order;
        const got = await post(draw.dataset.url, order ? { order_id: order } : {});
        if (got.outcome === 'won') say(`恭喜抽中「${got.prize.name}」！`, true);
        else if (got.outcome === 'out_of_stock') say('抽中的奖品刚好发完了，谢谢参与', false);
        else say('谢谢参与，下次好运', false);
        const balance = $('draw-balance');
        if (balance && got.points_balance !== null) balance.textContent = String(got.points_balance);
        // A draw by points can be played again while the points last; the others once per chance.
        if (draw.dataset.again) {
          draw.textContent = '再抽一次';
          draw.disabled = false;
        } else draw.textContent = '已抽奖';
      } catch (error) {
        say(error.message, false);
        draw.disabled = false;
      }
    });
  }

  for (const form of document.querySelectorAll('form[data-claim]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const fields = Object.fromEntries(new FormData(form).entries());
      try {
        await post(form.dataset.claim, { address: fields });
        form.replaceWith(
          Object.assign(document.createElement('div'), {
            className: 'ok',
            textContent: '已下单，奖品将免费寄出',
          }),
        );
      } catch (error) {
        const note = form.querySelector('.error');
        if (note) note.textContent = error.message;
      }
    });
  }

  // The share page: wx.config with the server's signature, then the share card for friends.
  const share = $('share');
  if (share && window.wx) {
    const d = share.dataset;
    window.wx.config({
      debug: false,
      appId: d.appid,
      timestamp: Number(d.timestamp),
      nonceStr: d.nonce,
      signature: d.signature,
      jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData'],
    });
    window.wx.ready(() => {
      const card = { title: d.title, desc: d.desc, link: d.link, imgUrl: '' };
      window.wx.updateAppMessageShareData({ ...card, success: () => ($('share-ready').hidden = false) });
      window.wx.updateTimelineShareData(card);
    });
    window.wx.error((res) => say(`分享设置失败：${res.errMsg}`, false));
  }
})();
