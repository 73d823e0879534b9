// DOM helpers. Everything is built with DOM calls (never HTML strings: the page's
// Content-Security-Policy requires Trusted Types and allows no inline script or style).

/**
 * h creates an element: h('button.primary', {type: 'button', onclick}, 'Text', child…).
 * Attributes starting with "on" become listeners; class and dataset are understood; false,
 * null and undefined attributes and children are skipped.
 */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && !k.includes('-') && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** add appends children to el, skipping null, undefined and false. */
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** clear removes every child of el and appends the given ones. */
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

// 24×24 outline/solid icon paths (drawn for this app).
const PATHS = {
  home: 'M3 10.5 12 3l9 7.5V21h-6v-6H9v6H3z',
  search: 'M10.5 3a7.5 7.5 0 0 1 5.9 12.1l4.8 4.8-1.4 1.4-4.8-4.8A7.5 7.5 0 1 1 10.5 3zm0 2a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z',
  inbox: 'M4 4h16l1 9v7H3v-7zm1.8 2-.7 6H9a3 3 0 0 0 6 0h3.9l-.7-6z',
  user: 'M12 3a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zM4 21c0-4 3.6-7 8-7s8 3 8 7z',
  heart: 'M12 21s-7.5-4.6-9.6-9.3C1 8.3 3.1 4.5 6.9 4.5c2.1 0 3.6 1.1 5.1 2.9 1.5-1.8 3-2.9 5.1-2.9 3.8 0 5.9 3.8 4.5 7.2C19.5 16.4 12 21 12 21z',
  comment: 'M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4V5a1 1 0 0 1 1-1z',
  bookmark: 'M6 3h12v18l-6-4.5L6 21z',
  share: 'M14 4l7 7-7 7v-4.1C9 13.9 5.6 15.6 3 19c1-5 4-9.9 11-11z',
  more: 'M5 10.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm7 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm7 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z',
  muted: 'M3 9h4l5-4v14l-5-4H3zm13.3.3 1.4-1.4 2.1 2.1 2.1-2.1 1.4 1.4-2.1 2.1 2.1 2.1-1.4 1.4-2.1-2.1-2.1 2.1-1.4-1.4 2.1-2.1z',
  sound: 'M3 9h4l5-4v14l-5-4H3zm12.5-1.5a6 6 0 0 1 0 9l-1.4-1.4a4 4 0 0 0 0-6.2zm2.8-2.8a10 10 0 0 1 0 14.6l-1.4-1.4a8 8 0 0 0 0-11.8z',
  play: 'M7 4v16l13-8z',
  pause: 'M6 4h4v16H6zm8 0h4v16h-4z',
  close: 'M5.6 4.2 12 10.6l6.4-6.4 1.4 1.4-6.4 6.4 6.4 6.4-1.4 1.4-6.4-6.4-6.4 6.4-1.4-1.4 6.4-6.4-6.4-6.4z',
  music: 'M9 18a3 3 0 1 1-2-2.8V5l12-2v12a3 3 0 1 1-2-2.8V6.3L9 7.6z',
  hash: 'M9.5 3h2l-.7 5h4l.7-5h2l-.7 5H20v2h-3.5l-.6 4H19v2h-3.4l-.7 5h-2l.7-5h-4l-.7 5h-2l.7-5H4v-2h3.9l.6-4H5V8h3.8zm1 7-.6 4h4l.6-4z',
  back: 'M15.4 4.6 8 12l7.4 7.4-1.4 1.4L5.2 12 14 3.2z',
  flag: 'M5 3h2v1h11l-2 5 2 5H7v7H5z',
  gear: 'M12 8.5a3.5 3.5 0 1 1 0 7 3.5 3.5 0 0 1 0-7zM10.6 2h2.8l.5 2.6 1.8.8 2.2-1.5 2 2-1.5 2.2.8 1.8 2.6.5v2.8l-2.6.5-.8 1.8 1.5 2.2-2 2-2.2-1.5-1.8.8-.5 2.6h-2.8l-.5-2.6-1.8-.8-2.2 1.5-2-2 1.5-2.2-.8-1.8-2.6-.5v-2.8l2.6-.5.8-1.8-1.5-2.2 2-2 2.2 1.5 1.8-.8z',
  shield: 'M12 2 20 5v6c0 5-3.4 9.4-8 11-4.6-1.6-8-6-8-11V5z',
};

/** icon returns an inline SVG icon, hidden from assistive technology. */
export function icon(name, cls = '') {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon ${cls}`.trim());
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', PATHS[name] || '');
  svg.append(p);
  return svg;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
/** count formats a number the short way: 1.2K, 3.4M. */
export const count = (n) => compact.format(Number(n) || 0);

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
/** ago formats a timestamp relative to now: "3 hours ago". */
export function ago(iso) {
  const s = (new Date(iso).getTime() - Date.now()) / 1000;
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
  let v = s;
  for (const [n, unit] of steps) {
    if (Math.abs(v) < n) return rtf.format(Math.round(v), unit);
    v /= n;
  }
  return '';
}

/** avatar returns the user's avatar image, or their initial on a disc. */
export function avatar(user, size = 'md') {
  const name = user?.username || '?';
  if (user?.avatar) {
    return h(`img.avatar.avatar-${size}`, { src: user.avatar, alt: '', width: 48, height: 48, loading: 'lazy', decoding: 'async' });
  }
  return h(`span.avatar.avatar-${size}.avatar-initial`, { 'aria-hidden': 'true' }, name.slice(0, 1).toUpperCase());
}

/** displayName is the user's name, or their username. */
export const displayName = (u) => (u?.name && u.name.trim()) || u?.username || 'deleted user';

let liveRegion;
/** announce tells screen-reader users something that happened (polite live region). */
export function announce(text) {
  liveRegion ||= document.getElementById('announcer');
  if (!liveRegion) return;
  liveRegion.textContent = '';
  setTimeout(() => { liveRegion.textContent = text; }, 30);
}

/** toast shows a short message at the bottom of the screen (and announces it). */
export function toast(text, { error = false, action } = {}) {
  const host = document.getElementById('toasts');
  if (!host) return;
  const el = h('div.toast', { role: error ? 'alert' : 'status', class: error ? 'toast-error' : '' }, h('span', text));
  if (action) el.append(h('button.link', { type: 'button', onclick: () => { action.run(); el.remove(); } }, action.label));
  host.append(el);
  setTimeout(() => el.remove(), action ? 7000 : 4000);
}

/** errorText is what to tell the user about a failed call: the API's message. */
export const errorText = (err) => err?.message || 'Something went wrong.';

/** state is a loading, empty or error placeholder; retry adds a button. */
export function state(kind, text, retry) {
  const el = h(`div.state.state-${kind}`, { role: kind === 'error' ? 'alert' : 'status' });
  if (kind === 'loading') el.append(h('span.spinner', { 'aria-hidden': 'true' }));
  el.append(h('p', text));
  if (retry) el.append(h('button.btn', { type: 'button', onclick: retry }, 'Try again'));
  return el;
}

/**
 * sheet opens a modal dialog (a bottom sheet on phones): native <dialog> gives the focus
 * trap, Escape and an inert page. Returns {dialog, body, close}. onClose runs once.
 */
export function sheet(title, { onClose, cls = '' } = {}) {
  const id = `sheet-${Math.random().toString(36).slice(2)}`;
  const body = h('div.sheet-body');
  const closeBtn = h('button.icon-btn.sheet-close', { type: 'button', 'aria-label': 'Close' }, icon('close'));
  const dialog = h(`dialog.sheet${cls ? '.' + cls : ''}`, { 'aria-labelledby': id },
    h('div.sheet-head', h('h2', { id }, title), closeBtn), body);
  const opener = document.activeElement;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    onClose?.();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
  };
  closeBtn.addEventListener('click', close);
  dialog.addEventListener('close', close);
  dialog.addEventListener('click', (e) => { if (e.target === dialog) close(); });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, close };
}

/** debounce delays fn until ms passed without a call. */
export function debounce(fn, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/** reducedMotion reports whether the user asked for less motion. */
export const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** field is a labelled form control with an error slot: returns {wrap, input, error}. */
export function field(label, attrs, { textarea = false, hint } = {}) {
  const id = attrs.id || `f-${attrs.name}-${Math.random().toString(36).slice(2, 7)}`;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  const input = h(textarea ? 'textarea' : 'input', { ...attrs, id, 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') });
  const error = h('p.field-error', { id: errId });
  const wrap = h('div.field', h('label', { for: id }, label), input, hint ? h('p.hint', { id: hintId }, hint) : null, error);
  return { wrap, input, error };
}

/**
 * showErrors puts an ApiError's field messages next to the fields (by name) and returns the
 * general message for a form-level alert.
 */
export function showErrors(form, err) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  let first = null;
  for (const [name, msg] of Object.entries(err.fields || {})) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    const slot = document.getElementById(`${input.id}-err`);
    if (slot) slot.textContent = `${name} ${msg}`;
    first ||= input;
  }
  first?.focus();
  return errorText(err);
}

/** confirmDialog asks a yes/no question in a modal; resolves true for the confirming button. */
export function confirmDialog(title, text, okLabel = 'OK') {
  return new Promise((resolve) => {
    let answer = false;
    const s = sheet(title, { onClose: () => resolve(answer) });
    const ok = h('button.btn.danger', { type: 'button', onclick: () => { answer = true; s.close(); } }, okLabel);
    s.body.append(h('p', text), h('div.row', h('button.btn', { type: 'button', onclick: () => s.close() }, 'Cancel'), ok));
    ok.focus();
  });
}
