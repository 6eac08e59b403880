// The distributor centre's buttons: each posts JSON to the shop API, then reloads the page.
// (A plain form would post form-encoded, which the shop refuses from any page.)
document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-api]');
  if (!button) return;
  event.preventDefault();
  button.disabled = true;
  const error = document.getElementById('error');
  try {
    const response = await fetch(button.dataset.api, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: button.dataset.body || '{}',
    });
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      if (error) error.textContent = data?.error?.message ?? '操作失败，请稍后再试';
      button.disabled = false;
      return;
    }
    location.reload();
  } catch {
    if (error) error.textContent = '网络不好，请稍后再试';
    button.disabled = false;
  }
});
