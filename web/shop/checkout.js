// One-tap checkout for the H5 shop: place the order, open WeChat's pay sheet, show the result.
// Inside WeChat the sheet is WeixinJSBridge's; with the simulator it is drawn here.
(() => {
  const form = document.getElementById('checkout');
  if (!form) return;
  const { appid, order: existingOrder, simulator } = form.dataset;
  const api = `/shop/${appid}/api`;
  const errorBox = document.getElementById('error');
  // One key per page view: a double tap, or a retry after a network error, makes one order.
  const checkoutKey = crypto.randomUUID();
  const showError = (message) => {
    errorBox.textContent = message;
  };

  async function call(path, body) {
    const response = await fetch(`${api}${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error?.message ?? '出错了，请稍后再试');
    return data;
  }

  function address() {
    const box = document.getElementById('address');
    if (!box) return {};
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

  function simulatedSheet(params, total) {
    return new Promise((resolve, reject) => {
      const sheet = document.createElement('div');
      sheet.className = 'sheet';
      sheet.innerHTML =
        '<div><div>微信支付</div><div class="amount"></div><button class="btn" id="confirm-pay">确认支付</button><p><a href="#" id="cancel-pay">取消</a></p></div>';
      sheet.querySelector('.amount').textContent = `¥${(total / 100).toFixed(2)}`;
      document.body.append(sheet);
      sheet.querySelector('#cancel-pay').addEventListener('click', (event) => {
        event.preventDefault();
        sheet.remove();
        reject(new Error('已取消支付'));
      });
      sheet.querySelector('#confirm-pay').addEventListener('click', async () => {
        const response = await fetch(`${simulator}/pay/confirm`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
        });
        sheet.remove();
        if (response.ok) resolve();
        else reject(new Error('支付失败'));
      });
    });
  }

  function wechatSheet(params) {
    return new Promise((resolve, reject) => {
      window.WeixinJSBridge.invoke('getBrandWCPayRequest', params, (result) => {
        if (result.err_msg === 'get_brand_wcpay_request:ok') resolve();
        else
          reject(new Error(result.err_msg === 'get_brand_wcpay_request:cancel' ? '已取消支付' : '支付失败'));
      });
    });
  }

  async function waitUntilPaid(orderId) {
    for (let i = 0; i < 20; i++) {
      const order = await call(`/orders/${orderId}/sync`);
      if (order.status !== 'pending_payment') return;
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const method = event.submitter?.value ?? 'wechat';
    const buttons = form.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    showError('');
    try {
      let orderId = existingOrder;
      if (!orderId) {
        const sku = form.querySelector('input[name="sku"]:checked');
        if (!sku) throw new Error('请选择规格');
        const order = await call('/orders', {
          items: [{ sku_id: sku.value, quantity: 1 }],
          payment_method: method,
          expected_total: Number(sku.dataset.price),
          idempotency_key: checkoutKey,
          source: new URLSearchParams(location.search).get('from') ?? 'shop',
          ...address(),
        });
        orderId = order.id;
        if (method === 'cod') {
          location.href = `/shop/${appid}/orders/${orderId}`;
          return;
        }
      }
      const { pay_params: params, total } = await call(`/orders/${orderId}/pay`);
      if (window.WeixinJSBridge) await wechatSheet(params);
      else if (simulator) await simulatedSheet(params, total);
      else throw new Error('请在微信中打开完成支付');
      await waitUntilPaid(orderId);
      location.href = `/shop/${appid}/orders/${orderId}`;
    } catch (error) {
      showError(error.message);
      for (const b of buttons) b.disabled = false;
    }
  });
})();
