// Dashboard: chat statistics, metrics, the daily volume chart and the agents table.

import { optional } from './api.js';
import { bootPage, table, h } from './page.js';

const LABELS = {
  totalSessions: 'Conversations', activeSessions: 'Open now',
  averageResponseTime: 'Avg. response (min)', messagesExchanged: 'Messages',
};
const TRENDS = { up: '↑ up', down: '↓ down', stable: '→ stable' };
const STATUS_PILL = { success: 'active', warning: 'prospect', error: 'failed', info: 'closed' };
const SVG_NS = 'http://www.w3.org/2000/svg';
// Series colours by position; the legend names them, so colour is never the only cue.
const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#db2777', '#7c3aed', '#0891b2'];

bootPage(async (root) => {
  const [stats, metrics, series] = await Promise.all([
    optional('/api/chat/stats'), optional('/api/metrics'), optional('/api/analytics/dashboard')]);
  if (stats) {
    root.appendChild(h('div', { class: 'stats', id: 'stats' }, Object.entries(stats)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => h('div', { class: 'stat', dataset: { key: k } },
        h('div', { class: 'stat__value', text: Number.isInteger(v) ? String(v) : v.toFixed(1) }),
        h('div', { class: 'stat__label', text: LABELS[k] || k })))));
  } else {
    root.appendChild(h('p', { class: 'muted', text: 'Statistics are not available on this hub yet.' }));
  }
  if (series && Array.isArray(series.volume)) root.appendChild(volumeCard(series));
  const list = metrics && (Array.isArray(metrics) ? metrics : metrics.metrics || metrics.items);
  if (Array.isArray(list) && list.length) {
    root.appendChild(h('div', { class: 'card', id: 'metrics' }, h('h2', { text: 'Metrics, last 7 days' }),
      h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ['Metric', 'Value', 'Against the 7 days before', 'Status'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, list.map((m) => h('tr', { dataset: { id: m.id || '' } },
          h('td', { text: m.name }), h('td', { text: String(m.value) }),
          h('td', { class: 'trend', text: TRENDS[m.trend] || '' }),
          h('td', {}, h('span', { class: `pill pill--${STATUS_PILL[m.status] || 'closed'}`, text: m.status || '' }))))))));
  }
  if (series && Array.isArray(series.agents)) {
    root.appendChild(h('div', { class: 'card', id: 'agents' }, h('h2', { text: 'Agents' }), table(series.agents, [
      { label: 'Agent', value: (a) => a.name },
      { label: 'Conversations', value: (a) => a.conversations },
      { label: 'Messages sent', value: (a) => a.messagesOut },
      { label: 'Resolved', value: (a) => a.resolved },
      { label: 'First response (min)', value: (a) => a.firstResponse },
    ], 'No agent activity in this period.')));
  }
}, { adminOnly: false });

function svgEl(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Stacked bars of messages per day and channel, drawn node by node (no markup parsing). */
function volumeCard(series) {
  const days = series.volume;
  const channels = [...new Set(days.flatMap((d) => Object.keys(d.byChannel || {})))].sort();
  const totals = days.map((d) => Object.values(d.byChannel || {}).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const W = 640; const H = 200; const pad = 24; const step = (W - pad) / Math.max(1, days.length);
  const chart = svgEl('svg', { viewBox: `0 0 ${W} ${H + 20}`, class: 'chart', role: 'img',
    'aria-label': `Messages per day from ${series.from} to ${series.to}: ${totals.reduce((a, b) => a + b, 0)} in total` });
  chart.appendChild(svgEl('line', { x1: pad, y1: H, x2: W, y2: H, class: 'chart__axis' }));
  chart.appendChild(svgEl('text', { x: 0, y: 12, class: 'chart__label' }, String(max)));
  days.forEach((d, i) => {
    let y = H;
    channels.forEach((name, c) => {
      const n = (d.byChannel || {})[name] || 0;
      if (!n) return;
      const height = (n / max) * (H - 16);
      y -= height;
      const bar = svgEl('rect', { x: pad + i * step + step * 0.15, y, width: step * 0.7, height,
        fill: PALETTE[c % PALETTE.length], class: 'chart__bar', 'data-day': d.day, 'data-channel': name });
      bar.appendChild(svgEl('title', {}, `${d.day} · ${name}: ${n}`));
      chart.appendChild(bar);
    });
    if (i % Math.ceil(days.length / 7) === 0) {
      chart.appendChild(svgEl('text', { x: pad + i * step + step / 2, y: H + 16, class: 'chart__label', 'text-anchor': 'middle' }, d.day.slice(5)));
    }
  });
  const legend = h('ul', { class: 'legend' }, channels.map((name, c) => {
    const swatch = h('span', { class: 'legend__swatch', 'aria-hidden': 'true' });
    swatch.style.background = PALETTE[c % PALETTE.length];
    return h('li', {}, swatch, name);
  }));
  return h('div', { class: 'card', id: 'volume' }, h('h2', { text: 'Messages per day' }), chart,
    channels.length ? legend : h('p', { class: 'muted', text: 'No messages in this period.' }));
}
