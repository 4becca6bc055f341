// Admin: raw webhook events that failed processing, with replay.

import { api, optional } from '../api.js';
import { bootPage, table, act, h, clear } from '../page.js';
import { listOf } from '../session.js';
import { shortTime } from '../dom.js';

bootPage(async (root) => {
  root.append(h('div', { class: 'card' }, h('h2', { text: 'Webhook events that failed' }), h('div', { id: 'event-table' })));
  await refresh();
});

async function refresh() {
  const box = clear(document.getElementById('event-table'));
  const data = await optional('/api/webhook-events', { query: { status: 'failed' } });
  if (data === null) { box.appendChild(h('p', { class: 'muted', text: 'The webhook events API is not available on this hub yet.' })); return; }
  box.appendChild(table(listOf(data, 'events'), [
    { label: 'Received', value: (e) => shortTime(e.receivedAt || e.createdAt) },
    { label: 'Kind', value: (e) => e.kind || e.channelKind || '' },
    { label: 'Error', wrap: true, value: (e) => e.error || e.lastError || '' },
    { label: 'Attempts', value: (e) => e.attempts ?? '' },
    { label: '', value: (e) => h('button', { type: 'button', class: 'btn btn--small', text: 'Replay', 'aria-label': 'Replay this event',
      onclick: async () => { if (await act(() => api(`/api/webhook-events/${encodeURIComponent(e.id)}/replay`, { method: 'POST' }), 'Replayed') !== undefined) refresh(); } }) },
  ], 'No failed webhook events.'));
}
