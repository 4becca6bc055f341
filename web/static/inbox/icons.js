// Channel icons as inline SVG, built node by node.

import { svg, h } from './dom.js';

const SHAPES = {
  whatsapp: [
    ['path', { d: 'M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2Z', fill: '#25D366' }],
    ['path', { d: 'M9 7.5c.3 0 .5 0 .7.6l.8 1.9c.1.3 0 .5-.1.7l-.6.7c.6 1.2 1.6 2.2 2.9 2.8l.7-.8c.2-.2.4-.3.7-.2l1.8.9c.3.1.4.3.4.5 0 1-.9 2-2 2-3.2 0-6.6-3.2-6.6-6.6 0-1.1.8-2.5 1.3-2.5Z', fill: '#fff' }],
  ],
  instagram: [
    ['rect', { x: '2', y: '2', width: '20', height: '20', rx: '6', fill: '#E1306C' }],
    ['circle', { cx: '12', cy: '12', r: '4.2', fill: 'none', stroke: '#fff', 'stroke-width': '2' }],
    ['circle', { cx: '17.3', cy: '6.7', r: '1.3', fill: '#fff' }],
  ],
  messenger: [
    ['path', { d: 'M12 2C6.4 2 2 6.1 2 11.6c0 2.9 1.2 5.4 3.2 7.1V22l3-1.7c1.2.3 2.5.5 3.8.5 5.6 0 10-4.1 10-9.6S17.6 2 12 2Z', fill: '#0084FF' }],
    ['path', { d: 'm6.5 14.2 3.2-5 2.5 2 3.1-2-3.2 5-2.5-2Z', fill: '#fff' }],
  ],
  telegram: [
    ['circle', { cx: '12', cy: '12', r: '10', fill: '#229ED9' }],
    ['path', { d: 'm6 11.6 10.6-4.1c.5-.2.9.1.8.9l-1.8 8.5c-.1.6-.5.8-1 .5l-2.8-2-1.3 1.3c-.2.2-.3.2-.5.2l.2-2.8 5.2-4.7c.2-.2 0-.3-.3-.1l-6.4 4-2.7-.9c-.6-.2-.6-.6.1-.8Z', fill: '#fff' }],
  ],
  widget: [
    ['rect', { x: '2', y: '3', width: '20', height: '15', rx: '4', fill: '#7C3AED' }],
    ['path', { d: 'M7 18h4l-4 3.5Z', fill: '#7C3AED' }],
    ['circle', { cx: '8', cy: '10.5', r: '1.4', fill: '#fff' }],
    ['circle', { cx: '12', cy: '10.5', r: '1.4', fill: '#fff' }],
    ['circle', { cx: '16', cy: '10.5', r: '1.4', fill: '#fff' }],
  ],
  internal: [
    ['circle', { cx: '12', cy: '12', r: '10', fill: '#64748B' }],
    ['path', { d: 'M7 8h10v6h-6l-3 2.5V14H7Z', fill: '#fff' }],
  ],
};

const LABELS = {
  whatsapp: 'WhatsApp', instagram: 'Instagram', messenger: 'Messenger', telegram: 'Telegram',
  widget: 'Website chat', internal: 'Internal',
};

export const channelLabel = (kind) => LABELS[kind] || LABELS.internal;

/** The icon of a channel kind, with its name for screen readers. */
export function channelIcon(kind, size = 20) {
  const k = SHAPES[kind] ? kind : 'internal';
  const icon = svg('0 0 24 24', SHAPES[k], { width: String(size), height: String(size) });
  return h('span', { class: `chan chan--${k}`, role: 'img', 'aria-label': channelLabel(k), title: channelLabel(k) }, icon);
}
