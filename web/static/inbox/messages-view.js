// One message bubble: sender, text (as text only), attachments, reply quote, ticks, retry.

import { api, blobUrl, download, errorText } from './api.js';
import { h, fullTime, shortTime, humanSize, toast } from './dom.js';
import { store, userName } from './store.js';

const TICKS = {
  queued: ['⏱', 'Queued'], sending: ['⏱', 'Sending'], sent: ['✓', 'Sent'],
  delivered: ['✓✓', 'Delivered'], read: ['✓✓', 'Read'],
};

/** Render a message; `actions.reply(m)` starts a reply, `actions.find(id)` finds a message. */
export function messageNode(m, actions) {
  const type = m.senderType || (m.sender === 'user' ? 'customer' : 'agent');
  const classes = ['msg', `msg--${type}`, m.direction === 'out' ? 'msg--out' : 'msg--in'];
  if (m.isPrivate) classes.push('msg--private');
  if (m.status === 'failed') classes.push('msg--failed');
  const node = h('article', {
    class: classes.join(' '), dataset: { id: m.id, status: m.status || '' },
    'aria-label': `${senderLabel(m, type)} at ${fullTime(m.timestamp)}`,
  });
  if (type === 'system') {
    node.appendChild(h('p', { class: 'msg__text', text: m.content || systemText(m) }));
    return node;
  }
  const bubble = h('div', { class: 'msg__bubble' });
  bubble.appendChild(h('div', { class: 'msg__sender' },
    h('span', { text: senderLabel(m, type) }),
    m.isPrivate ? h('span', { class: 'msg__note-tag', text: 'Private note' }) : null));
  if (m.replyTo) bubble.appendChild(replyQuote(m.replyTo, actions));
  if (m.deletedAt) {
    bubble.appendChild(h('p', { class: 'msg__text msg__text--deleted', text: 'This message was deleted.' }));
  } else if (m.content) {
    bubble.appendChild(h('p', { class: 'msg__text', text: m.content }));
  }
  const extra = payloadText(m);
  if (extra) bubble.appendChild(h('p', { class: 'msg__extra', text: extra }));
  for (const a of m.attachments || []) bubble.appendChild(attachmentNode(a));
  bubble.appendChild(footer(m));
  node.appendChild(bubble);
  if (m.status === 'failed') node.appendChild(failure(m));
  node.appendChild(h('button', {
    type: 'button', class: 'msg__reply-btn', text: '↩', title: 'Reply',
    'aria-label': 'Reply to this message', onclick: () => actions.reply(m),
  }));
  return node;
}

function senderLabel(m, type) {
  if (type === 'customer') {
    const c = store.conversations.get(m.conversationId);
    return m.senderName || (c && c.contact && (c.contact.name || c.contact.phone)) || 'Customer';
  }
  if (type === 'bot') return m.senderName || 'Bot';
  return m.senderName || userName(m.senderId) || 'Agent';
}

function systemText(m) {
  const p = m.payload || {};
  return p.text || p.body || 'System event';
}

/** Readable text for non-text payloads (location, contacts, reactions, buttons). */
function payloadText(m) {
  const p = m.payload || {};
  if (m.messageType === 'location' && (p.latitude || p.longitude)) {
    return `📍 ${p.name || 'Location'} (${p.latitude}, ${p.longitude})${p.address ? ` ${p.address}` : ''}`;
  }
  if (m.messageType === 'reaction' && p.emoji !== undefined) return `Reacted ${p.emoji || '(removed)'}`;
  if (m.messageType === 'contacts' && Array.isArray(p.contacts)) {
    return p.contacts.map((c) => (c.name && (c.name.formatted_name || c.name)) || 'contact').join(', ');
  }
  if (m.editedAt) return 'edited';
  return '';
}

function replyQuote(replyId, actions) {
  const target = actions.find(replyId);
  const text = target ? (target.content || (target.attachments && target.attachments.length ? '📎 attachment' : '…')) : 'Earlier message';
  return h('blockquote', { class: 'msg__quote', text });
}

function attachmentNode(a) {
  const isImage = (a.type || '').startsWith('image/') || a.kind === 'image';
  if (a.status && a.status !== 'ready') {
    return h('p', { class: 'att att--pending', text: `📎 ${a.name || 'file'} (${a.status})` });
  }
  if (isImage) {
    const img = h('img', { class: 'att__img', alt: a.name || 'image', loading: 'lazy' });
    if (a.metadata && a.metadata.width && a.metadata.height) {
      img.width = Math.min(240, a.metadata.width);
      img.height = Math.round(img.width * (a.metadata.height / a.metadata.width));
    }
    blobUrl(a.thumbnailUrl || a.url).then((u) => { img.src = u; }).catch(() => { img.alt = `${a.name || 'image'} (unavailable)`; });
    return h('button', {
      type: 'button', class: 'att att--image', 'aria-label': `Open image ${a.name || ''}`,
      onclick: () => openImage(a),
    }, img);
  }
  return h('button', {
    type: 'button', class: 'att att--file', 'aria-label': `Download ${a.name || 'file'}`,
    onclick: () => download(a.url, a.name).catch((err) => toast(errorText(err), 'error')),
  }, h('span', { class: 'att__icon', 'aria-hidden': 'true', text: '📄' }),
  h('span', { class: 'att__name', text: a.name || 'file' }),
  h('span', { class: 'att__size', text: humanSize(a.size) }));
}

async function openImage(a) {
  try {
    const url = await blobUrl(a.url);
    const dialog = h('dialog', { class: 'lightbox', 'aria-label': a.name || 'Image' },
      h('img', { src: url, alt: a.name || 'image' }),
      h('form', { method: 'dialog' }, h('button', { class: 'btn', text: 'Close' })));
    document.body.appendChild(dialog);
    dialog.addEventListener('close', () => dialog.remove());
    dialog.showModal();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

function footer(m) {
  const foot = h('div', { class: 'msg__foot' },
    h('time', { datetime: m.timestamp || '', title: fullTime(m.timestamp), text: shortTime(m.timestamp) }));
  if (m.direction === 'out' && !m.isPrivate && TICKS[m.status]) {
    const [mark, label] = TICKS[m.status];
    foot.appendChild(h('span', {
      class: `tick tick--${m.status}`, role: 'img', 'aria-label': label, title: label,
      dataset: { status: m.status }, text: mark,
    }));
  }
  return foot;
}

function failure(m) {
  const reason = [m.errorReason || 'Not delivered', m.errorCode ? `(code ${m.errorCode})` : '']
    .filter(Boolean).join(' ');
  const retry = h('button', { type: 'button', class: 'btn btn--small', text: 'Retry', 'aria-label': 'Retry sending this message' });
  retry.addEventListener('click', async () => {
    retry.disabled = true;
    try {
      await api(`/api/deliveries/${encodeURIComponent(m.id)}/retry`, { method: 'POST' });
      toast('Sending again…');
    } catch (err) {
      toast(`Retry failed: ${errorText(err)}`, 'error');
      retry.disabled = false;
    }
  });
  return h('div', { class: 'msg__failure', role: 'alert' },
    h('span', { class: 'tick tick--failed', 'aria-hidden': 'true', text: '⚠' }),
    h('span', { class: 'msg__reason', text: `Failed: ${reason}` }), retry);
}
