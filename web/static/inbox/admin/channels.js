// Admin: connect channels and see their webhook URL, verify token and sync health.

import { api, optional } from '../api.js';
import { bootPage, table, input, act, h, clear } from '../page.js';
import { listOf } from '../session.js';
import { channelIcon, channelLabel } from '../icons.js';

const CREDENTIALS = {
  whatsapp: [['accessToken', 'Access token'], ['appSecret', 'App secret'], ['phoneNumberId', 'Phone number id'],
    ['businessAccountId', 'Business account id (for templates)', true]],
  instagram: [['accessToken', 'Page access token'], ['appSecret', 'App secret'], ['igUserId', 'Instagram user id']],
  messenger: [['accessToken', 'Page access token'], ['appSecret', 'App secret'], ['pageId', 'Page id']],
  telegram: [['botToken', 'Bot token']],
};

bootPage(async (root) => {
  const list = h('div', { class: 'card' }, h('h2', { text: 'Connected channels' }), h('div', { id: 'channel-list' }));
  const form = h('form', { class: 'card', 'aria-label': 'Connect a channel' }, h('h2', { text: 'Connect a channel' }));
  root.append(list, form);
  renderForm(form, 'whatsapp');
  await refresh();
});

function renderForm(form, kind) {
  clear(form).appendChild(h('h2', { text: 'Connect a channel' }));
  const grid = h('div', { class: 'grid-form' },
    input('Kind', 'kind', { options: Object.keys(CREDENTIALS).map((k) => [k, channelLabel(k)]), value: kind }),
    input('Name', 'name', { required: true, placeholder: 'Support line' }),
    CREDENTIALS[kind].map(([k, label, optional]) => input(label, `cred_${k}`, { required: !optional, type: /secret|token/i.test(k) ? 'password' : 'text' })),
    input('API base URL (optional)', 'apiBaseUrl', { placeholder: 'default provider API' }),
    h('button', { type: 'submit', class: 'btn btn--primary', text: 'Connect' }));
  form.appendChild(grid);
  form.elements.kind.addEventListener('change', () => renderForm(form, form.elements.kind.value));
  form.onsubmit = async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const credentials = {};
    for (const [k, v] of Object.entries(data)) if (k.startsWith('cred_')) credentials[k.slice(5)] = v;
    const body = { kind: data.kind, name: data.name, credentials, settings: data.apiBaseUrl ? { apiBaseUrl: data.apiBaseUrl } : {} };
    const ok = await act(() => api('/api/channels', { method: 'POST', body }), 'Channel connected');
    if (ok) { renderForm(form, data.kind); refresh(); }
  };
}

async function refresh() {
  const box = clear(document.getElementById('channel-list'));
  const data = await optional('/api/channels');
  if (data === null) { box.appendChild(h('p', { class: 'muted', text: 'The channels API is not available on this hub yet.' })); return; }
  box.appendChild(table(listOf(data, 'channels'), [
    { label: 'Channel', value: (c) => h('span', {}, channelIcon(c.kind, 16), ` ${c.name}`) },
    { label: 'Kind', value: (c) => channelLabel(c.kind) },
    { label: 'Status', value: (c) => h('span', { class: `pill pill--${c.status === 'active' ? 'active' : 'failed'}`, text: c.status || '' }) },
    { label: 'Webhook URL', wrap: true, value: (c) => h('code', { class: 'code', text: c.webhookUrl || '' }) },
    { label: 'Verify token', wrap: true, value: (c) => (c.verifyToken ? h('code', { class: 'code', text: c.verifyToken }) : '') },
    { label: 'Health', wrap: true, value: health },
    { label: '', value: (c) => h('button', { type: 'button', class: 'btn btn--small btn--danger', text: 'Disconnect', 'aria-label': `Disconnect ${c.name}`,
      onclick: async () => { if (confirm(`Disconnect ${c.name}?`) && await act(() => api(`/api/channels/${c.id}`, { method: 'DELETE' }), 'Disconnected') !== undefined) refresh(); } }) },
  ], 'No channel connected yet.'));
}

/** What the channel sync last found (on connecting, then hourly): quality, webhook, errors. */
function health(c) {
  const sync = c.sync || {};
  const parts = [];
  if (sync.phone) parts.push(`Quality ${sync.phone.qualityRating || '?'} · limit ${sync.phone.messagingLimitTier || '?'}`);
  if (c.kind === 'whatsapp' && sync.lastSyncAt) parts.push(sync.templatesSynced === false ? 'templates need the business account id' : `${sync.templates || 0} templates`);
  if (sync.webhookInfo) {
    const info = sync.webhookInfo;
    parts.push(sync.mode === 'polling' ? 'Polling (getUpdates)' : `Webhook ${info.url ? 'set' : 'not set'} · ${info.pending_update_count || 0} pending`);
    if (info.last_error_message) parts.push(`Telegram: ${info.last_error_message}`);
  }
  parts.push(sync.lastSyncAt ? `synced ${new Date(sync.lastSyncAt).toLocaleString()}` : 'not synced yet');
  const box = h('div', { class: 'health' }, parts.map((p) => h('div', { text: p })));
  if (sync.lastSyncError) box.appendChild(h('div', { class: 'form-error', text: `Sync failed: ${sync.lastSyncError}` }));
  return box;
}
