// #tag and @mention autocomplete for captions and comments, from the type-ahead API
// (GET /api/search/suggest: "#…" suggests hashtags only, "@…" users only). The field is an
// ARIA combobox: arrow keys move through the suggestions, Enter or Tab takes one, Escape
// closes the list.

import { get } from './api.js';
import { h, clear, debounce } from './dom.js';
import { tokenAt } from './text.js';

let seq = 0;

/** autocomplete wires suggestions to a text input or textarea; returns the list element. */
export function autocomplete(input) {
  const id = `ac-${++seq}`;
  const list = h('ul.ac-list', { id, role: 'listbox', hidden: true, 'aria-label': 'Suggestions' });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', id);
  input.setAttribute('aria-expanded', 'false');
  let items = [];
  let active = -1;
  let token = null;
  let pending = null;

  const close = () => {
    list.hidden = true;
    items = [];
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };
  const highlight = (i) => {
    active = i;
    list.querySelectorAll('[role=option]').forEach((el, k) => el.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', `${id}-${i}`);
    else input.removeAttribute('aria-activedescendant');
  };
  const take = (i) => {
    const s = items[i];
    if (!s || !token) return;
    const text = `${token.sigil}${s.text} `;
    input.setRangeText(text, token.start, token.end, 'end');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    close();
    input.focus();
  };
  const lookup = debounce(async () => {
    token = tokenAt(input.value, input.selectionStart ?? input.value.length);
    if (!token || token.text.length < 1) return close();
    pending?.abort();
    pending = new AbortController();
    let res;
    try {
      res = await get('/api/search/suggest', { q: token.sigil + token.text, limit: 6 }, { signal: pending.signal });
    } catch {
      return close();
    }
    const want = token.sigil === '#' ? 'hashtag' : 'user';
    items = (res?.suggestions || []).filter((s) => s.type === want);
    if (!items.length) return close();
    clear(list, items.map((s, i) => h('li.ac-item', {
      id: `${id}-${i}`, role: 'option', 'aria-selected': 'false',
      onmousedown: (e) => { e.preventDefault(); take(i); },
    }, `${token.sigil}${s.text}`)));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(0);
  }, 150);

  input.addEventListener('input', (e) => { if (e.isTrusted !== false) lookup(); });
  input.addEventListener('blur', () => setTimeout(close, 100));
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); highlight((active + 1) % items.length); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); highlight((active - 1 + items.length) % items.length); }
    else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0) { e.preventDefault(); take(active); }
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
  });
  return list;
}
