// One-tap checkout for the H5 shop: place the order, open WeChat's pay sheet, show the result.
// Inside WeChat the sheet is WeixinJSBridge's; with the simulator it is drawn here.
(() => {
  const actions = document.getElementById('order-actions');
  if (actions) orderActions(actions);
  const form = document.getElementById('checkout');
  if (!form) return;
  const { appid, order: existingOrder, simulator, cart: isCart } = form.dataset;
  const api = `/shop/${appid}/api`;
  const cartKey = `weiloop-cart:${appid}`;
  const readCart = () => JSON.parse(localStorage.getItem(cartKey) ?? '[]');
  const writeCart = (items) => localStorage.setItem(cartKey, JSON.stringify(items));

  const addButton = document.getElementById('add-to-cart');
  addButton?.addEventListener('click', () => {
    const sku = form.querySelector('input[name="sku"]:checked');
    if (!sku) return;
    const items = readCart();
    const line = items.find((i) => i.sku_id === sku.value);
    if (line) line.quantity += 1;
    else
      items.push({
        sku_id: sku.value,
        title: document.title,
        spec: sku.parentElement.textContent.trim(),
        price: Number(sku.dataset.price),
        quantity: 1,
      });
    writeCart(items);
    addButton.textContent = `已加入购物车（${items.reduce((n, i) => n + i.quantity, 0)}）`;
  });

  if (isCart) renderCart();
  function renderCart() {
    const items = readCart();
    const box = document.getElementById('cart-items');
    const pay = document.getElementById('pay');
    if (items.length === 0) return;
    box.replaceChildren(
      ...items.map((i) => {
        const row = document.createElement('div');
        row.textContent = `${i.title} · ${i.spec} ×${i.quantity}`;
        return row;
      }),
    );
    const total = items.reduce((sum, i) => sum + i.price * i.quantity, 0);
    pay.disabled = false;
    pay.textContent = `微信支付 ¥${(total / 100).toFixed(2)}`;
  }
  // The member card (points, stored value) and the coupon: the server quotes the total whenever the
  // fan changes the SKU or a switch; the order then goes through the shop's composed checkout.
  const memberBox = document.getElementById('member-checkout');
  const usePoints = document.getElementById('use-points');
  const useBalance = document.getElementById('use-balance');
  const cardExtras = () => ({
    ...(usePoints?.checked ? { points: Number(usePoints.dataset.points) } : {}),
    ...(useBalance?.checked ? { use_balance: true } : {}),
  });
  const chosenSku = () => form.querySelector('input[name="sku"]:checked');
  const chosenCoupon = () => {
    const sku = chosenSku();
    return sku && sku.value === form.dataset.couponSku ? form.dataset.coupon : undefined;
  };
  // A cart has no coupon on the page: the server's quote names the best one, and the order uses it.
  const cartLines = () => readCart().map((i) => ({ sku_id: i.sku_id, quantity: i.quantity }));
  async function requote() {
    const sku = chosenSku();
    const pay = document.getElementById('pay');
    if (!pay || (isCart ? readCart().length === 0 : !sku)) return;
    const coupon = isCart ? undefined : chosenCoupon();
    try {
      const quote = await call('/checkout/quote', {
        items: isCart ? cartLines() : [{ sku_id: sku.value, quantity: 1 }],
        ...(coupon ? { coupon_id: coupon } : {}),
        ...(isCart ? { best_coupon: true } : {}),
        ...cardExtras(),
      });
      form.dataset.total = String(quote.total);
      if (isCart) showCartCoupon(quote);
      pay.textContent =
        quote.total > 0 ? `微信支付 ¥${(quote.total / 100).toFixed(2)}` : '确认支付（会员卡）';
      const lines = document.getElementById('quote-lines');
      if (lines)
        lines.textContent = quote.adjustments
          .map((a) => `${a.label} -¥${(a.amount / 100).toFixed(2)}`)
          .join('；');
    } catch (error) {
      showError(error.message);
    }
  }
  function showCartCoupon(quote) {
    const box = document.getElementById('coupon');
    const off = quote.adjustments.find((a) => a.kind === 'coupon');
    if (quote.coupon) form.dataset.coupon = quote.coupon.coupon_id;
    else delete form.dataset.coupon;
    box.hidden = !(quote.coupon && off);
    if (quote.coupon && off)
      box.textContent = `优惠券：${quote.coupon.name} -¥${(off.amount / 100).toFixed(2)}`;
  }
  if (memberBox) for (const input of [usePoints, useBalance]) input?.addEventListener('change', requote);
  if (!isCart)
    for (const sku of form.querySelectorAll('input[name="sku"]')) sku.addEventListener('change', requote);
  if (isCart) requote();
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
    // Collected at a store: no address to send.
    const pickup = form.querySelector('input[name="delivery"]:checked')?.value;
    if (pickup) return { pickup_store_id: pickup };
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

  // Choosing a store hides the address form (it is not needed then).
  for (const choice of form.querySelectorAll('input[name="delivery"]'))
    choice.addEventListener('change', () => {
      const box = document.getElementById('address');
      if (!box) return;
      const pickup = Boolean(form.querySelector('input[name="delivery"]:checked')?.value);
      box.hidden = pickup;
      // Disabled fields are not validated: a hidden, empty address must not block the order.
      for (const input of box.querySelectorAll('input')) input.disabled = pickup;
    });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const method = event.submitter?.value ?? 'wechat';
    const buttons = form.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    showError('');
    try {
      let orderId = existingOrder;
      if (!orderId) {
        const cartItems = isCart ? readCart() : null;
        const sku = form.querySelector('input[name="sku"]:checked');
        if (!cartItems && !sku) throw new Error('请选择规格');
        if (cartItems && cartItems.length === 0) throw new Error('购物车是空的');
        const items = cartItems
          ? cartItems.map((i) => ({ sku_id: i.sku_id, quantity: i.quantity }))
          : [{ sku_id: sku.value, quantity: 1 }];
        // The page applied the fan's best coupon and card; the server recomputes both. A cart always
        // goes through the composed checkout, with the coupon its quote named.
        const coupon = cartItems ? form.dataset.coupon : chosenCoupon();
        const composed = Boolean(cartItems || coupon || memberBox);
        const expected = composed ? Number(form.dataset.total) : Number(sku.dataset.price);
        const order = await call(composed ? '/checkout' : '/orders', {
          items,
          payment_method: method,
          expected_total: expected,
          ...(coupon ? { coupon_id: coupon } : {}),
          ...(composed ? cardExtras() : {}),
          idempotency_key: checkoutKey,
          source: new URLSearchParams(location.search).get('from') ?? 'shop',
          ...address(),
        });
        orderId = order.id;
        if (cartItems) writeCart([]);
        if (method === 'cod' || order.status === 'paid') {
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

/** Cancel, confirm receipt and review on the order page. */
function orderActions(box) {
  const { appid, order } = box.dataset;
  const errorBox = document.getElementById('action-error');
  const post = async (path, body) => {
    const response = await fetch(`/shop/${appid}/api/orders/${order}${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error((await response.json()).error?.message ?? '操作失败');
  };
  const run = async (work) => {
    errorBox.textContent = '';
    try {
      await work();
      location.reload();
    } catch (error) {
      errorBox.textContent = error.message;
    }
  };
  for (const button of box.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', () => run(() => post(`/${button.dataset.action}`)));
  }
  for (const review of document.querySelectorAll('form.review')) {
    review.addEventListener('submit', (event) => {
      event.preventDefault();
      const rating = Number(review.querySelector('[name="rating"]').value);
      const text = review.querySelector('[name="text"]').value.trim();
      run(() => post('/reviews', { product_id: review.dataset.product, rating, text }));
    });
  }
}
