// The flash sale's waiting page: countdown on the server's clock, one buy request at the opening
// (with jitter), a queue while the gate is busy, then straight to paying for the order.
(() => {
  const bar = document.getElementById('flash');
  if (!bar) return;
  const { appid, sale, requires } = bar.dataset;
  const opens = Number(bar.dataset.opens);
  const closes = Number(bar.dataset.closes);
  // The page carries the server's time: the phone's clock, however wrong, is corrected once.
  const skew = Number(bar.dataset.now) - Date.now();
  const now = () => Date.now() + skew;
  const buy = document.getElementById('buy');
  const reserveButton = document.getElementById('reserve');
  const message = (text) => {
    document.getElementById('message').textContent = text;
  };
  const error = (text) => {
    document.getElementById('error').textContent = text;
  };
  let reserved = bar.dataset.reserved === '1';
  const api = async (path, body) => {
    const response = await fetch(`/shop/${appid}/api/flash-sales/${sale}${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error?.message ?? '出错了');
    return data;
  };

  reserveButton?.addEventListener('click', async () => {
    try {
      await api('/reserve');
      reserved = true;
      reserveButton.hidden = true;
      message('预约成功，开抢前会在公众号提醒您');
    } catch (e) {
      error(e.message);
    }
  });

  const pad = (n) => String(n).padStart(2, '0');
  const jitter = Math.floor(Math.random() * 400);
  function tick() {
    const left = opens - now();
    const box = document.getElementById('countdown');
    if (now() >= closes) {
      box.textContent = '已结束';
      buy.disabled = true;
      buy.textContent = '活动已结束';
      return;
    }
    if (left + jitter > 0) {
      const s = Math.ceil(Math.max(left, 0) / 1000);
      box.textContent = `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
      setTimeout(tick, Math.min(1000, left + jitter) || 50);
      return;
    }
    box.textContent = '进行中';
    if (requires === '1' && !reserved) {
      buy.textContent = '未预约，无法抢购';
      return;
    }
    buy.disabled = false;
    buy.textContent = '立即抢购';
  }
  tick();

  const TEXT = {
    sold_out: '已抢光，有人未付款时会放回库存',
    already_bought: '您已抢到过了',
    not_reserved: '本活动需要先预约',
    not_open: '还没开始，请稍候',
    closed: '活动已结束',
  };
  function address() {
    const box = document.getElementById('address');
    if (box.dataset.addressId) return { address_id: box.dataset.addressId };
    const value = (name) => box.querySelector(`[name="${name}"]`).value.trim();
    return {
      address: {
        name: value('name'),
        phone: value('phone'),
        region: value('region'),
        detail: value('detail'),
      },
    };
  }
  async function attempt(tries) {
    const answer = await api('/buy', address());
    if (answer.result === 'got') {
      message('抢到了！正在前往支付…');
      location.href = `/shop/${appid}/orders/${answer.order_id}`;
      return;
    }
    if (answer.result === 'busy' && tries < 20) {
      message('排队中，请不要离开…');
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
      return attempt(tries + 1);
    }
    message('');
    error(TEXT[answer.result] ?? '人太多了，请稍后再试');
    buy.disabled = answer.result === 'already_bought' || answer.result === 'closed';
  }
  buy.addEventListener('click', async () => {
    buy.disabled = true;
    error('');
    try {
      await attempt(0);
    } catch (e) {
      error(e.message);
      buy.disabled = false;
    }
  });
})();
