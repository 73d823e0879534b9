// The moderation page (/admin), for moderators and admins: the queue of reported videos,
// comments and users with their open reports, hide/unhide, suspend/unsuspend, resolve, and
// the audit log. Every action asks for the reason the API records.

import { session, get, post } from './api.js';
import { h, add, clear, state, errorText, toast, ago, avatar } from './dom.js';
import { pagedList } from './grid.js';
import { requireLogin } from './auth.js';

/** adminView renders /admin. */
export function adminView(main) {
  const page = h('section.page.admin-page', h('h1.page-title', 'Moderation'));
  clear(main, page);
  document.title = 'Moderation · gotok';
  if (!session.signedIn) {
    page.append(h('div.state.state-empty', h('p', 'Log in with a moderator account.'),
      h('button.btn.primary', { type: 'button', onclick: () => requireLogin() }, 'Log in')));
    return null;
  }
  if (!session.isModerator) {
    page.append(state('empty', 'This page is for moderators.'));
    return null;
  }
  const tabs = h('div.tabs', { role: 'tablist', 'aria-label': 'Moderation sections' });
  const panel = h('div.tab-panel', { role: 'tabpanel', tabindex: '0' });
  page.append(tabs, panel);
  const sections = [['queue', 'Reports', queue], ['audit', 'Audit log', audit]];
  const show = (key) => {
    for (const b of tabs.children) {
      const on = b.dataset.key === key;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `admin-tab-${key}`);
    panel.replaceChildren();
    sections.find(([k]) => k === key)[2](panel);
  };
  for (const [key, label] of sections) {
    tabs.append(h('button.tab', { type: 'button', role: 'tab', id: `admin-tab-${key}`, dataset: { key }, onclick: () => show(key) }, label));
  }
  tabs.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const btns = [...tabs.children];
    const k = (btns.indexOf(document.activeElement) + (e.key === 'ArrowRight' ? 1 : -1) + btns.length) % btns.length;
    btns[k].focus();
    btns[k].click();
  });
  show('queue');
  return null;
}

const missing = (err) => (err.missingRoute ? new Error('Moderation is not available on this server yet.') : err);

function queue(host) {
  pagedList(host, {
    listClass: 'report-list',
    label: 'Reported content',
    empty: 'No open reports. All clear!',
    load: async (cursor) => {
      try {
        const res = await get('/api/admin/reports', { limit: 20, cursor });
        return { items: res.targets, nextCursor: res.pagination?.nextCursor };
      } catch (err) {
        throw missing(err);
      }
    },
    render: reportCard,
  });
}

function reportCard(t) {
  const li = h('li.report-card', { dataset: { target: `${t.targetType}-${t.targetId}` } });
  const status = h('p.form-ok', { role: 'status' });
  const reasonId = `reason-${t.targetType}-${t.targetId}`;
  const reasons = (t.latestReports || []).map((r) => r.reason);
  const reason = h('input', { id: reasonId, name: 'reason', type: 'text', maxlength: 500, value: reasons[0] ? `Reported: ${reasons[0]}` : '' });
  const link = t.targetType === 'video' ? `/video/${t.targetId}` : t.targetType === 'user' && t.owner ? `/@${t.owner.username}` : t.videoId ? `/video/${t.videoId}` : null;
  const act = async (path, body, done) => {
    const why = reason.value.trim();
    if (!why && body.reason !== undefined) { status.textContent = 'Give a reason first.'; reason.focus(); return; }
    try {
      const res = await post(path, body);
      status.textContent = res?.message || 'Done.';
      done?.(res);
    } catch (err) {
      status.textContent = errorText(err);
    }
  };
  const hidden = t.moderation === 'hidden';
  const buttons = h('div.row');
  if (t.targetType === 'video' || t.targetType === 'comment') {
    const kind = `${t.targetType}s`;
    buttons.append(h('button.btn.danger', {
      type: 'button',
      onclick: () => act(`/api/admin/${kind}/${t.targetId}/${hidden ? 'unhide' : 'hide'}`, { reason: reason.value.trim() }, () => {
        if (!hidden) resolve('actioned');
        toast(hidden ? 'Made visible again' : `The ${t.targetType} is hidden`);
      }),
    }, hidden ? `Unhide ${t.targetType}` : `Hide ${t.targetType}`));
  }
  if (t.owner) {
    buttons.append(h('button.btn', {
      type: 'button',
      onclick: () => act(`/api/admin/users/${t.owner.id}/${t.ownerSuspended ? 'unsuspend' : 'suspend'}`, { reason: reason.value.trim() }, () => {
        if (!t.ownerSuspended) resolve('actioned');
      }),
    }, t.ownerSuspended ? `Unsuspend @${t.owner.username}` : `Suspend @${t.owner.username}`));
  }
  const resolve = (resolution) => act('/api/admin/reports/resolve', { targetType: t.targetType, targetId: t.targetId, resolution, note: reason.value.trim() || undefined }, () => li.classList.add('resolved'));
  buttons.append(h('button.btn', { type: 'button', onclick: () => resolve('dismissed') }, 'Dismiss reports'));
  add(li,
    h('div.report-head', h('span.pill', t.targetType), h('strong', `${t.openCount} open report${t.openCount === 1 ? '' : 's'}`),
      hidden ? h('span.pill.pill-warn', 'hidden') : null, t.ownerSuspended ? h('span.pill.pill-warn', 'owner suspended') : null),
    t.owner ? h('p', avatar(t.owner, 'sm'), ' ', h('a', { href: `/@${t.owner.username}` }, `@${t.owner.username}`)) : null,
    h('blockquote.report-text', t.text || '(no text)'),
    link ? h('a', { href: link }, 'Open') : null,
    h('ul.report-reasons', (t.latestReports || []).map((r) => h('li', h('strong', r.reason), r.details ? ` — ${r.details}` : '', h('span.muted', ` · ${r.reporter ? '@' + r.reporter.username : 'someone'} · ${ago(r.createdAt)}`)))),
    h('div.field', h('label', { for: reasonId }, 'Reason (recorded in the audit log)'), reason),
    buttons, status);
  return li;
}

function audit(host) {
  pagedList(host, {
    listClass: 'audit-list',
    label: 'Audit log',
    empty: 'No moderation actions yet.',
    load: async (cursor) => {
      try {
        const res = await get('/api/admin/audit', { limit: 30, cursor });
        return { items: res.entries || [], nextCursor: res.pagination?.nextCursor };
      } catch (err) {
        throw missing(err);
      }
    },
    render: (e) => h('li.audit-entry', h('strong', e.actor ? `@${e.actor.username}` : e.source || 'system'), ` ${e.action} ${e.targetType} ${e.targetId}`,
      e.reason ? h('span.muted', ` — ${e.reason}`) : null, h('time.muted', { datetime: e.createdAt }, ` · ${ago(e.createdAt)}`)),
  });
}
