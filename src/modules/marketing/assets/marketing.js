// The fan's coupon page: claim with one tap.
(() => {
  const button = document.getElementById('claim');
  if (!button) return;
  const { appid, campaign } = button.dataset;
  button.addEventListener('click', async () => {
    button.disabled = true;
    document.getElementById('error').textContent = '';
    const response = await fetch(`/shop/${appid}/api/coupon-campaigns/${campaign}/claim`, {
      method: 'POST',
      credentials: 'same-origin',
    });
    const data = await response.json();
    if (response.ok) {
      button.textContent = '已领取';
      document.getElementById('claimed').textContent = '已领取，下单时自动使用最优券';
    } else {
      document.getElementById('error').textContent = data.error?.message ?? '领取失败';
      button.disabled = data.error?.code !== 'claim_limit' && data.error?.code !== 'coupons_gone';
    }
  });
})();
