// WhatsApp message templates in the composer: the only way to write to a customer whose
// 24-hour window has closed. The list is what the hourly channel sync last found.

import { api, errorText } from './api.js';
import { h, clear, $ } from './dom.js';
import { store, addCreatedMessage } from './store.js';
import { newClientId } from './composer.js';

let channelId = null;
let conversationId = null;
let templates = [];

export function initTemplates() {
  $('#template-button').addEventListener('click', open);
  $('#template-cancel').addEventListener('click', close);
  $('#template-select').addEventListener('change', renderParams);
  $('#template-send').addEventListener('click', send);
}

/** Offer templates for WhatsApp conversations only (other channels have no such thing).
 *  Called on every render of the thread's header: a live update of the same conversation
 *  keeps a half-filled template open. */
export function setTemplateChannel(conversation) {
  const kind = conversation && (conversation.platform || (conversation.channel && conversation.channel.kind));
  const next = kind === 'whatsapp' && conversation.channel ? conversation.channel.id : null;
  const nextConversation = next ? conversation.id : null;
  if (next === channelId && nextConversation === conversationId) return;
  channelId = next;
  conversationId = nextConversation;
  $('#template-button').hidden = !channelId;
  close();
}

async function open() {
  const panel = $('#template-panel');
  panel.hidden = false;
  $('#template-button').setAttribute('aria-expanded', 'true');
  const select = clear($('#template-select'));
  showError('');
  try {
    templates = (await api(`/api/channels/${encodeURIComponent(channelId)}/templates`))
      .filter((t) => t.status === 'APPROVED');
  } catch (e) {
    templates = [];
    showError(errorText(e));
  }
  if (!templates.length) select.appendChild(h('option', { value: '', text: 'No approved template yet (synced hourly)' }));
  templates.forEach((t, i) => select.appendChild(h('option', { value: String(i), text: `${t.name} · ${t.language}` })));
  select.disabled = !templates.length;
  $('#template-send').disabled = !templates.length;
  renderParams();
  select.focus();
}

function close() {
  $('#template-panel').hidden = true;
  $('#template-button').setAttribute('aria-expanded', 'false');
}

function chosen() {
  return templates[Number($('#template-select').value)] || null;
}

function bodyText(t) {
  const body = (t.components || []).find((c) => String(c.type).toUpperCase() === 'BODY');
  return (body && body.text) || '';
}

/** One field per {{n}} of the template's body, and the text the customer will read. */
function renderParams() {
  const box = clear($('#template-params'));
  const t = chosen();
  const text = t ? bodyText(t) : '';
  const count = Math.max(0, ...[...text.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1])));
  for (let n = 1; n <= count; n += 1) {
    const id = `template-param-${n}`;
    box.appendChild(h('label', { for: id, text: `Parameter ${n}` }));
    box.appendChild(h('input', { id, type: 'text', dataset: { n: String(n) }, oninput: preview }));
  }
  preview();
}

function params() {
  return [...document.querySelectorAll('#template-params input')].map((i) => i.value.trim());
}

function rendered() {
  const t = chosen();
  const values = params();
  return t ? bodyText(t).replace(/\{\{(\d+)\}\}/g, (all, n) => values[Number(n) - 1] || all) : '';
}

function preview() {
  $('#template-preview').textContent = rendered();
}

function showError(text) {
  const err = $('#template-error');
  err.textContent = text;
  err.hidden = !text;
}

async function send() {
  const t = chosen();
  const id = store.currentId;
  if (!t || !id) return;
  const values = params();
  if (values.some((v) => !v)) { showError('Fill in every parameter.'); return; }
  const template = { name: t.name, language: t.language,
    components: values.length ? [{ type: 'body', parameters: values.map((text) => ({ type: 'text', text })) }] : [] };
  const button = $('#template-send');
  button.disabled = true;
  try {
    const m = await api(`/api/chat/sessions/${encodeURIComponent(id)}/messages`, {
      method: 'POST',
      body: { content: rendered(), template, clientMessageId: newClientId() },
    });
    if (m && m.id) addCreatedMessage({ conversationId: id, ...m });
    close();
  } catch (e) {
    showError(errorText(e));
  } finally {
    button.disabled = false;
  }
}
