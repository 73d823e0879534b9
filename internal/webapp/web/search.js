// Discovery: search with type-ahead (/search?q=), trending tags, tag pages (/tag/{name})
// and sound pages (/sound/{id}).

import { get, session } from './api.js';
import { h, add, clear, count, icon, state, errorText, debounce } from './dom.js';
import { navigate } from './router.js';
import { pagedList, videoCard, userRow } from './grid.js';
import { followButton } from './profile.js';

const TYPES = [['top', 'Top'], ['videos', 'Videos'], ['users', 'Users'], ['hashtags', 'Hashtags'], ['sounds', 'Sounds']];

const suggestionHref = (s) => (s.type === 'user' ? `/@${s.text}` : s.type === 'hashtag' ? `/tag/${encodeURIComponent(s.text)}` : `/sound/${s.id}`);
const suggestionLabel = (s) => (s.type === 'user' ? `@${s.text}` : s.type === 'hashtag' ? `#${s.text}` : s.text);

/** searchBox is the search field with type-ahead suggestions (an ARIA combobox). */
export function searchBox(initial = '') {
  const listId = 'search-suggestions';
  const input = h('input.search-input', {
    type: 'search', name: 'q', value: initial, placeholder: 'Search videos, people, tags, sounds',
    'aria-label': 'Search', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': listId, autocomplete: 'off', maxlength: 100, enterkeyhint: 'search',
  });
  const list = h('ul.ac-list.search-ac', { id: listId, role: 'listbox', 'aria-label': 'Suggestions', hidden: true });
  let items = [];
  let active = -1;
  let ctrl = null;
  const close = () => {
    list.hidden = true;
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((el, k) => el.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', `${listId}-${i}`);
  };
  const suggest = debounce(async () => {
    const q = input.value.trim();
    if (!q) return close();
    ctrl?.abort();
    ctrl = new AbortController();
    try {
      const res = await get('/api/search/suggest', { q, limit: 8 }, { signal: ctrl.signal });
      items = res.suggestions || [];
    } catch {
      return;
    }
    if (!items.length || input.value.trim() !== q) return close();
    clear(list, items.map((s, i) => h('li.ac-item', {
      id: `${listId}-${i}`, role: 'option', 'aria-selected': 'false',
      onmousedown: (e) => { e.preventDefault(); close(); navigate(suggestionHref(s)); },
    }, icon(s.type === 'user' ? 'user' : s.type === 'hashtag' ? 'hash' : 'music'), h('span', suggestionLabel(s)))));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(-1);
  }, 150);
  input.addEventListener('input', suggest);
  input.addEventListener('blur', () => setTimeout(close, 150));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { close(); return; }
    if (list.hidden) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); highlight((active + 1) % items.length); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); highlight(active <= 0 ? items.length - 1 : active - 1); }
    else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); const s = items[active]; close(); navigate(suggestionHref(s)); }
  });
  const form = h('form.search-form', { role: 'search', action: '/search' },
    h('div.ac-wrap', input, list), h('button.btn.primary', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    close();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  });
  return { form, input };
}

/** searchView renders /search: trending tags without a query, results with one. */
export function searchView(main, _params, query) {
  const q = (query.get('q') || '').trim();
  const type = TYPES.some(([t]) => t === query.get('type')) ? query.get('type') : 'top';
  const box = searchBox(q);
  const page = h('section.page.search-page', h('h1.visually-hidden', q ? `Search results for ${q}` : 'Discover'), box.form);
  clear(main, page);
  if (!q) {
    page.append(trending());
    box.input.focus();
    return null;
  }
  document.title = `${q} · Search · gotok`;
  const tabs = h('nav.tabs', { 'aria-label': 'Result types' }, TYPES.map(([t, label]) => h('a.tab', {
    href: `/search?q=${encodeURIComponent(q)}${t === 'top' ? '' : `&type=${t}`}`,
    'aria-current': t === type ? 'page' : false,
  }, label)));
  const results = h('div.results');
  page.append(tabs, results);
  if (type === 'top') topResults(results, q);
  else {
    const render = { videos: videoCard, users: (u) => userRow(u, session.user?.id === u.id ? null : followButton(u)), hashtags: tagRow, sounds: soundRow }[type];
    pagedList(results, {
      listClass: type === 'videos' ? 'grid' : 'user-list',
      label: `${type} matching ${q}`,
      empty: `No ${type} match “${q}”.`,
      load: async (cursor) => {
        const res = await get('/api/search', { q, type, cursor });
        return { items: res[type] || [], nextCursor: res.pagination?.nextCursor };
      },
      render,
    });
  }
  return null;
}

function topResults(host, q) {
  let first = true;
  const sections = h('div');
  host.append(sections);
  pagedList(host, {
    label: `Videos matching ${q}`,
    empty: `No videos match “${q}”.`,
    load: async (cursor) => {
      const res = await get('/api/search', { q, type: 'top', cursor });
      if (first) {
        first = false;
        const part = (title, items, render) => (items?.length ? h('section.result-section', h('h2', title), h('ul.user-list', items.map(render))) : null);
        add(sections,
          part('Users', res.users, (u) => userRow(u, session.user?.id === u.id ? null : followButton(u))),
          part('Hashtags', res.hashtags, tagRow),
          part('Sounds', res.sounds, soundRow),
          res.videos?.length ? h('h2.result-heading', 'Videos') : null,
        );
      }
      return { items: res.videos || [], nextCursor: res.pagination?.nextCursor };
    },
    render: videoCard,
  });
}

const tagRow = (t) => h('li.user-row', h('a.user-row-link', { href: `/tag/${encodeURIComponent(t.name)}` },
  h('span.avatar.avatar-md.avatar-initial', { 'aria-hidden': 'true' }, icon('hash')),
  h('span.user-row-names', h('strong', `#${t.name}`), h('span.muted', `${count(t.videoCount)} videos · ${count(t.viewCount)} views`))));

const soundRow = (s) => h('li.user-row', h('a.user-row-link', { href: `/sound/${s.id}` },
  h('span.avatar.avatar-md.avatar-initial', { 'aria-hidden': 'true' }, icon('music')),
  h('span.user-row-names', h('strong', s.name), h('span.muted', `${count(s.videoCount)} videos`))));

/** trending lists the trending hashtags. */
function trending() {
  const sec = h('section.trending', h('h2', 'Trending hashtags'));
  const body = h('div', state('loading', 'Loading trending tags…'));
  sec.append(body);
  const load = async () => {
    try {
      const res = await get('/api/hashtags/trending', { limit: 20 });
      if (!res.hashtags.length) clear(body, state('empty', 'Nothing is trending yet.'));
      else clear(body, h('ul.chips', res.hashtags.map((t) => h('li', h('a.chip', { href: `/tag/${encodeURIComponent(t.name)}` }, `#${t.name}`, h('span.muted', ` ${count(t.videoCount)}`))))));
    } catch (err) {
      clear(body, state('error', errorText(err), load));
    }
  };
  load();
  return sec;
}

/** tagView renders /tag/{name}. */
export function tagView(main, { name }) {
  const page = h('section.page');
  clear(main, page);
  const head = h('header.page-head', h('h1', `#${name}`), h('p.muted', '…'));
  page.append(head);
  document.title = `#${name} · gotok`;
  get(`/api/hashtags/${encodeURIComponent(name)}`).then((res) => {
    clear(head, h('h1', `#${res.hashtag.name}`), h('p.muted', `${count(res.hashtag.videoCount)} videos · ${count(res.hashtag.viewCount)} views`));
  }, (err) => {
    clear(head, h('h1', `#${name}`));
    if (err.status === 404) {
      clear(page, head, state('empty', `No video has #${name} yet.`));
      grid.disconnect?.();
    }
  });
  const grid = pagedList(page, {
    label: `Videos tagged #${name}`,
    empty: `No video has #${name} yet.`,
    load: async (cursor) => {
      const res = await get(`/api/hashtags/${encodeURIComponent(name)}/videos`, { limit: 12, cursor });
      return { items: res.videos, nextCursor: res.pagination?.nextCursor };
    },
    render: videoCard,
  });
  return null;
}

/** soundView renders /sound/{id}. */
export function soundView(main, { id }) {
  const page = h('section.page');
  clear(main, page);
  const head = h('header.page-head', h('h1', 'Sound'));
  page.append(head);
  get(`/api/sounds/${id}`).then((res) => {
    document.title = `${res.sound.name} · gotok`;
    clear(head, h('h1', icon('music'), ' ', res.sound.name), h('p.muted', `${count(res.sound.videoCount)} videos`));
  }, (err) => clear(head, h('h1', 'Sound'), state(err.status === 404 ? 'empty' : 'error', err.status === 404 ? 'This sound does not exist.' : errorText(err))));
  pagedList(page, {
    label: 'Videos with this sound',
    empty: 'No video uses this sound any more.',
    load: async (cursor) => {
      const res = await get(`/api/sounds/${id}/videos`, { limit: 12, cursor });
      return { items: res.videos, nextCursor: res.pagination?.nextCursor };
    },
    render: videoCard,
  });
  return null;
}
