// Right panel: contact and identities, prospect -> client conversion, client data, notes,
// quotes and the conversation's tags, each in a collapsible section.

import { api, optional, errorText } from './api.js';
import { h, clear, $, shortTime, toast } from './dom.js';
import { store, on, upsertConversation, userName } from './store.js';
import { channelIcon, channelLabel } from './icons.js';
import { listOf } from './session.js';

let contact = null;
let generation = 0;

export function initContactPanel() {
  on('conversation', (c) => {
    if (c.id === store.currentId && contact === null && c.contact) load(c);
    else if (c.id === store.currentId) renderTags(c);
  });
}

export async function showContact(conversationId) {
  contact = null;
  generation += 1;
  const body = clear($('#contact-body'));
  if (!conversationId) {
    body.appendChild(h('p', { class: 'muted', text: 'No conversation selected.' }));
    return;
  }
  const c = store.conversations.get(conversationId);
  if (c) load(c);
}

async function load(c) {
  const mine = ++generation;
  const brief = c.contact || {};
  contact = { ...brief };
  render(c, null, null);
  if (!brief.id) return;
  try {
    // The detail answer carries identities, notes (newest first) and quotes.
    const full = await optional(`/api/contacts/${encodeURIComponent(brief.id)}`);
    if (mine !== generation) return;
    contact = { ...brief, ...(full || {}) };
    render(store.conversations.get(c.id) || c,
      full ? listOf(full.notes, 'notes') : null, full ? listOf(full.quotes, 'quotes') : null);
  } catch (err) {
    if (mine === generation) toast(`Contact not loaded: ${errorText(err)}`, 'error');
  }
}

// Sections folded until the agent opens them (the conversion form is long).
const FOLDED_BY_DEFAULT = new Set(['convert']);

function section(key, title, ...content) {
  const saved = localStorage.getItem(`hub.section.${key}`);
  const open = saved ? saved === 'open' : !FOLDED_BY_DEFAULT.has(key);
  const details = h('details', { class: 'section', open: open ? true : null, dataset: { section: key } },
    h('summary', { text: title }), h('div', { class: 'section__body' }, ...content));
  details.addEventListener('toggle', () => localStorage.setItem(`hub.section.${key}`, details.open ? 'open' : 'closed'));
  return details;
}

const row = (label, value) => (value ? h('div', { class: 'kv' }, h('dt', { text: label }), h('dd', { text: value })) : null);

function render(c, notes, quotes) {
  const body = clear($('#contact-body'));
  const name = contact.name || [contact.firstName, contact.lastName].filter(Boolean).join(' ') || contact.phone || 'Unknown contact';
  body.appendChild(h('div', { class: 'contact__card' },
    h('div', { class: 'contact__avatar', 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() }),
    h('div', {}, h('div', { class: 'contact__name', text: name }),
      h('span', { class: `pill ${contact.isClient ? 'pill--client' : 'pill--prospect'}`, text: contact.isClient ? 'Client' : 'Prospect' }))));
  body.appendChild(section('contact', 'Contact',
    h('dl', { class: 'kvs' }, row('Phone', contact.phone), row('Email', contact.email),
      row('Last seen', contact.lastSeen && shortTime(contact.lastSeen)),
      row('Assignee', userName(c.agentId) || 'Unassigned')),
    identities()));
  body.appendChild(contact.isClient ? clientSection() : conversionSection());
  body.appendChild(section('notes', 'Notes', notesBody(notes)));
  body.appendChild(section('quotes', 'Quotes', quotesBody(quotes)));
  body.appendChild(section('tags', 'Conversation tags', h('div', { id: 'tags-body' })));
  renderTags(c);
}

function identities() {
  const list = contact.identities || [];
  if (!list.length) return null;
  return h('ul', { class: 'identities', 'aria-label': 'Identities per channel' }, list.map((i) => {
    const kind = i.platform || i.kind || 'internal';
    return h('li', {}, channelIcon(kind, 16),
      h('span', { text: ` ${channelLabel(kind)}: ${i.username ? `@${i.username}` : i.displayName || i.externalId || ''}` }));
  }));
}

function field(label, name, value = '', type = 'text') {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }),
    h('input', { id, name, type, value: value || '', step: type === 'number' ? '0.01' : null }));
}

function conversionSection() {
  const form = h('form', { class: 'stack', 'aria-label': 'Convert to client' },
    h('p', { class: 'muted', text: 'This contact is a prospect. Convert them to a client to track value and quotes.' }),
    field('First name', 'firstName', contact.firstName || (contact.name || '').split(' ')[0]),
    field('Last name', 'lastName', contact.lastName || (contact.name || '').split(' ').slice(1).join(' ')),
    field('Email', 'email', contact.email, 'email'),
    field('Phone', 'phone', contact.phone, 'tel'),
    field('Company', 'company', contact.company),
    h('button', { type: 'submit', class: 'btn btn--primary', text: 'Convert to client' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    for (const k of Object.keys(data)) if (!data[k]) delete data[k];
    try {
      const updated = await api(`/api/contacts/${encodeURIComponent(contact.id)}/convert`, { method: 'POST', body: data });
      toast('Converted to client');
      const c = store.conversations.get(store.currentId);
      contact = { ...contact, ...(updated && updated.contact ? updated.contact : updated), isClient: true };
      upsertConversation({ id: c.id, isClientConverted: true, contact: { ...c.contact, isClient: true } });
      load(store.conversations.get(c.id));
    } catch (err) {
      toast(`Not converted: ${errorText(err)}`, 'error');
    }
  });
  return section('convert', 'Prospect → client', form);
}

function clientSection() {
  return section('client', 'Client data', h('dl', { class: 'kvs' },
    row('Name', [contact.firstName, contact.lastName].filter(Boolean).join(' ')),
    row('Company', contact.company),
    row('Status', contact.clientStatus || contact.status),
    row('Total value', contact.totalValue !== undefined && contact.totalValue !== null ? String(contact.totalValue) : ''),
    row('Tags', (contact.tags || []).join(', ')),
    row('Client since', contact.convertedAt && shortTime(contact.convertedAt))));
}

function notesBody(notes) {
  const list = h('ul', { class: 'notes' });
  if (notes === null) list.appendChild(h('li', { class: 'muted', text: 'Notes are not available.' }));
  for (const n of notes || []) {
    list.appendChild(h('li', {}, h('p', { text: n.content }),
      h('small', { class: 'muted', text: `${n.authorName || userName(n.authorId) || ''} ${shortTime(n.createdAt)}` })));
  }
  const form = h('form', { class: 'stack', 'aria-label': 'Add a note' },
    h('label', { for: 'note-input', class: 'visually-hidden', text: 'New note' }),
    h('textarea', { id: 'note-input', name: 'content', rows: '2', placeholder: 'Add a note…' }),
    h('button', { type: 'submit', class: 'btn', text: 'Add note' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = form.elements.content.value.trim();
    if (!content) return;
    try {
      await api(`/api/contacts/${encodeURIComponent(contact.id)}/notes`, { method: 'POST', body: { content } });
      load(store.conversations.get(store.currentId));
    } catch (err) {
      toast(`Note not saved: ${errorText(err)}`, 'error');
    }
  });
  return [list, form];
}

function quotesBody(quotes) {
  const list = h('ul', { class: 'quotes' });
  if (quotes === null) list.appendChild(h('li', { class: 'muted', text: 'Quotes are not available.' }));
  for (const q of quotes || []) {
    list.appendChild(h('li', { class: 'quote' }, h('span', { text: q.title }),
      h('span', { class: 'quote__amount', text: `${q.amount} ${q.currency || ''}` }),
      h('span', { class: `pill pill--${q.status}`, text: q.status || '' })));
  }
  const form = h('form', { class: 'stack', 'aria-label': 'Add a quote' },
    field('Quote title', 'title'), field('Amount', 'amount', '', 'number'),
    h('button', { type: 'submit', class: 'btn', text: 'Add quote' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const title = form.elements.title.value.trim();
    if (!title) return;
    try {
      await api(`/api/contacts/${encodeURIComponent(contact.id)}/quotes`, {
        method: 'POST', body: { title, amount: Number(form.elements.amount.value || 0) },
      });
      load(store.conversations.get(store.currentId));
    } catch (err) {
      toast(`Quote not saved: ${errorText(err)}`, 'error');
    }
  });
  return [list, form];
}

function renderTags(c) {
  const box = document.getElementById('tags-body');
  if (!box || !c) return;
  clear(box);
  const tags = c.tags || [];
  box.appendChild(h('ul', { class: 'chips', 'aria-label': 'Tags' }, tags.map((t) => h('li', { class: 'chip' },
    h('span', { text: t }),
    h('button', { type: 'button', class: 'chip__x', text: '×', 'aria-label': `Remove tag ${t}`, onclick: () => saveTags(c, tags.filter((x) => x !== t)) })))));
  const form = h('form', { class: 'inline-form', 'aria-label': 'Add a tag' },
    h('label', { for: 'tag-input', class: 'visually-hidden', text: 'New tag' }),
    h('input', { id: 'tag-input', name: 'tag', placeholder: 'Add tag', maxlength: '40' }),
    h('button', { type: 'submit', class: 'btn btn--small', text: 'Add' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = form.elements.tag.value.trim();
    if (t && !tags.includes(t)) saveTags(c, [...tags, t]);
  });
  box.appendChild(form);
}

async function saveTags(c, tags) {
  const path = `/api/chat/sessions/${encodeURIComponent(c.id)}`;
  try {
    const updated = await api(`${path}/tags`, { method: 'PUT', body: { tags } });
    upsertConversation(updated && updated.id ? updated : { id: c.id, tags });
  } catch (err) {
    toast(`Tags not saved: ${errorText(err)}`, 'error');
  }
}
