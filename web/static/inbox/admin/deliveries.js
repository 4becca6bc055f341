// Admin: failed deliveries (dead letters) with their reason, and a retry button.

import { api, optional } from '../api.js';
import { bootPage, table, act, h, clear } from '../page.js';
import { listOf } from '../session.js';
import { shortTime } from '../dom.js';
import { channelIcon } from '../icons.js';

bootPage(async (root) => {
  root.append(h('div', { class: 'card' },
    h('h2', { text: 'Messages that could not be delivered' }), h('div', { id: 'delivery-table' })));
  await refresh();
});

async function refresh() {
  const box = clear(document.getElementById('delivery-table'));
  const data = await optional('/api/deliveries', { query: { status: 'failed' } });
  if (data === null) { box.appendChild(h('p', { class: 'muted', text: 'The deliveries API is not available on this hub yet.' })); return; }
  box.appendChild(table(listOf(data, 'items'), [
    { label: 'When', value: (d) => shortTime(d.updatedAt || d.createdAt) },
    { label: 'Channel', value: (d) => h('span', {}, channelIcon(d.channelKind, 16), ` ${d.channelName || ''}`) },
    { label: 'Message', wrap: true, value: (d) => (d.conversationId
      ? h('a', { href: `/chat/${encodeURIComponent(d.conversationId)}`, text: d.messagePreview || '(attachment)' })
      : d.messagePreview || '') },
    { label: 'Reason', wrap: true, value: (d) => [d.lastErrorReason || '', d.lastErrorCode ? `(code ${d.lastErrorCode})` : ''].join(' ') },
    { label: 'Attempts', value: (d) => d.attempts ?? '' },
    { label: 'Dead letter', value: (d) => (d.deadLettered ? 'yes' : '') },
    { label: '', value: (d) => h('button', { type: 'button', class: 'btn btn--small', text: 'Retry', 'aria-label': 'Retry this delivery',
      onclick: async () => { if (await act(() => api(`/api/deliveries/${encodeURIComponent(d.messageId)}/retry`, { method: 'POST' }), 'Sending again') !== undefined) refresh(); } }) },
  ], 'No failed deliveries.'));
}
