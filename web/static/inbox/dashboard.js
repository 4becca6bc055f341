// Dashboard: chat statistics and metrics, when the hub serves them.

import { optional } from './api.js';
import { bootPage, h } from './page.js';

const LABELS = {
  totalSessions: 'Conversations', activeSessions: 'Open now',
  averageResponseTime: 'Avg. first response (min)', messagesExchanged: 'Messages',
};

bootPage(async (root) => {
  const stats = await optional('/api/chat/stats');
  if (stats) {
    root.appendChild(h('div', { class: 'stats' }, Object.entries(stats)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => h('div', { class: 'stat' },
        h('div', { class: 'stat__value', text: Number.isInteger(v) ? String(v) : v.toFixed(1) }),
        h('div', { class: 'stat__label', text: LABELS[k] || k })))));
  } else {
    root.appendChild(h('p', { class: 'muted', text: 'Statistics are not available on this hub yet.' }));
  }
  const metrics = await optional('/api/metrics');
  const list = metrics && (Array.isArray(metrics) ? metrics : metrics.metrics || metrics.items);
  if (Array.isArray(list) && list.length) {
    root.appendChild(h('div', { class: 'card' }, h('h2', { text: 'Metrics' }),
      h('table', { class: 'table' }, h('tbody', {}, list.map((m) => h('tr', {},
        h('td', { text: m.name }), h('td', { text: String(m.value) }),
        h('td', {}, h('span', { class: `pill pill--${m.status === 'success' ? 'active' : m.status === 'error' ? 'failed' : 'closed'}`, text: `${m.trend || ''} ${m.status || ''}` }))))))));
  }
}, { adminOnly: false });
