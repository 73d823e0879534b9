// The comment drawer: a video's comments newest first, likes, replies (one visible level,
// when the API has them: comments carry replyCount) with @mentions, and the composer with
// #tag/@mention autocomplete.

import { session, get, post, request, del } from './api.js';
import { h, clear, sheet, avatar, ago, count, icon, toast, errorText, state, confirmDialog } from './dom.js';
import { richText } from './text.js';
import { autocomplete } from './autocomplete.js';
import { requireLogin } from './auth.js';
import { notify, hasReports, report } from './actions.js';

/** openComments opens the drawer of a video's comments. */
export function openComments(video) {
  const s = sheet(`${count(video.commentCount)} comments`, { cls: 'comments-sheet' });
  const title = s.dialog.querySelector('h2');
  const list = h('ul.comments', { 'aria-label': 'Comments' });
  const more = h('button.btn.load-more', { type: 'button', hidden: true }, 'Load more comments');
  const status = h('div');
  let cursor = null;
  let replyTo = null; // {id, username, parentId}

  const setTitle = () => { title.textContent = `${count(video.commentCount)} comment${video.commentCount === 1 ? '' : 's'}`; };

  const load = async () => {
    more.disabled = true;
    if (!cursor) clear(status, state('loading', 'Loading comments…'));
    try {
      const res = await get('/api/comments', { videoId: video.id, limit: 20, cursor });
      status.replaceChildren();
      for (const c of res.comments) list.append(commentItem(c));
      cursor = res.pagination?.nextCursor || null;
      more.hidden = !cursor;
      if (!list.children.length) clear(status, state('empty', 'No comments yet. Be the first!'));
    } catch (err) {
      clear(status, state('error', errorText(err), load));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', load);

  const commentItem = (c, parent = null) => {
    const li = h('li.comment', { dataset: { id: c.id } });
    const deleted = c.deleted || !c.user;
    const body = h('div.comment-body');
    if (deleted) {
      body.append(h('p.comment-deleted', 'Comment deleted'));
    } else {
      body.append(
        h('a.comment-author', { href: `/@${c.user.username}` }, `@${c.user.username}`),
        h('p.comment-text', richText(c.content, c.mentions)),
      );
    }
    const meta = h('div.comment-meta', h('time', { datetime: c.createdAt }, ago(c.createdAt)));
    body.append(meta);
    if (!deleted) {
      const likeBtn = h('button.comment-like', { type: 'button', 'aria-pressed': String(c.isLiked) });
      const renderLike = () => {
        likeBtn.setAttribute('aria-pressed', String(c.isLiked));
        likeBtn.setAttribute('aria-label', `${c.isLiked ? 'Unlike' : 'Like'} comment by @${c.user.username} (${c.likeCount} likes)`);
        clear(likeBtn, icon('heart'), h('span', count(c.likeCount)));
      };
      renderLike();
      likeBtn.addEventListener('click', async () => {
        if (!(await requireLogin('Log in to like comments.'))) return;
        try {
          const res = await request(c.isLiked ? 'DELETE' : 'POST', `/api/comments/${c.id}/like`);
          c.isLiked = res.isLiked;
          c.likeCount = res.likeCount;
          renderLike();
        } catch (err) {
          toast(errorText(err), { error: true });
        }
      });
      li.append(avatar(c.user, 'sm'), body, likeBtn);
      if ('replyCount' in c) {
        meta.append(h('button.link', {
          type: 'button',
          onclick: () => startReply({ id: c.id, username: c.user.username }),
        }, 'Reply'));
      }
      const mine = session.user && (session.user.id === c.userId || session.user.id === video.userId);
      if (mine) {
        meta.append(h('button.link', {
          type: 'button',
          onclick: async () => {
            if (!(await confirmDialog('Delete comment', 'Delete this comment?', 'Delete'))) return;
            try {
              await del(`/api/comments/${c.id}`);
              video.commentCount = Math.max(0, video.commentCount - 1);
              notify(video);
              setTitle();
              if (c.replyCount > 0) clear(body, h('p.comment-deleted', 'Comment deleted'));
              else li.remove();
            } catch (err) {
              toast(errorText(err), { error: true });
            }
          },
        }, 'Delete'));
      } else if (session.signedIn) {
        hasReports().then((ok) => { if (ok) meta.append(h('button.link', { type: 'button', onclick: () => report('comment', c.id) }, 'Report')); });
      }
    } else {
      li.append(h('span.avatar.avatar-sm.avatar-initial', { 'aria-hidden': 'true' }, '–'), body);
    }
    if (!parent && c.replyCount > 0) li.append(repliesBlock(c));
    return li;
  };

  const repliesBlock = (c) => {
    const wrap = h('div.replies');
    const ul = h('ul.comments.replies-list', { 'aria-label': `Replies to @${c.user?.username || 'deleted comment'}` });
    let rcursor = null;
    let loaded = false;
    const toggle = h('button.link.replies-toggle', { type: 'button', 'aria-expanded': 'false' }, `View ${c.replyCount} ${c.replyCount === 1 ? 'reply' : 'replies'}`);
    const loadReplies = async () => {
      toggle.disabled = true;
      try {
        const res = await get(`/api/comments/${c.id}/replies`, { limit: 20, cursor: rcursor });
        for (const r of res.comments) ul.append(commentItem(r, c));
        rcursor = res.pagination?.nextCursor || null;
        loaded = true;
        toggle.setAttribute('aria-expanded', 'true');
        toggle.textContent = rcursor ? 'View more replies' : 'Hide replies';
      } catch (err) {
        toast(errorText(err), { error: true });
      } finally {
        toggle.disabled = false;
      }
    };
    toggle.addEventListener('click', () => {
      if (loaded && !rcursor) {
        ul.hidden = !ul.hidden;
        toggle.setAttribute('aria-expanded', String(!ul.hidden));
        toggle.textContent = ul.hidden ? `View ${c.replyCount} ${c.replyCount === 1 ? 'reply' : 'replies'}` : 'Hide replies';
        return;
      }
      loadReplies();
    });
    wrap.append(ul, toggle);
    wrap.addReply = (r) => { ul.hidden = false; ul.append(commentItem(r, c)); };
    return wrap;
  };

  // The composer.
  const input = h('textarea.composer-input', { name: 'content', rows: 1, maxlength: 1000, placeholder: 'Add a comment…', 'aria-label': 'Add a comment', required: true });
  const acList = autocomplete(input);
  const replyChip = h('div.reply-chip', { hidden: true });
  const send = h('button.btn.primary', { type: 'submit' }, 'Post');
  const alert = h('p.form-alert', { role: 'alert' });
  const form = h('form.composer', replyChip, h('div.composer-row', h('div.ac-wrap', input, acList), send), alert);
  const startReply = (target) => {
    replyTo = target;
    clear(replyChip, h('span', `Replying to @${target.username}`),
      h('button.icon-btn', { type: 'button', 'aria-label': 'Cancel reply', onclick: () => { replyTo = null; replyChip.hidden = true; input.focus(); } }, icon('close')));
    replyChip.hidden = false;
    if (!input.value.includes(`@${target.username}`)) input.value = `@${target.username} ${input.value}`;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = input.value.trim();
    if (!content) { alert.textContent = 'Write something first.'; return; }
    if (!(await requireLogin('Log in to comment.'))) return;
    send.disabled = true;
    alert.textContent = '';
    try {
      const body = { videoId: video.id, content };
      if (replyTo) body.parentId = replyTo.id;
      const c = await post('/api/comments', body);
      video.commentCount += 1;
      notify(video);
      setTitle();
      status.replaceChildren();
      const parentId = c.parentId;
      const parentLi = parentId ? list.querySelector(`li.comment[data-id="${parentId}"]`) : null;
      if (parentLi) {
        let block = parentLi.querySelector(':scope > .replies');
        if (!block) {
          block = repliesBlock({ id: parentId, replyCount: 0, user: { username: replyTo?.username } });
          block.querySelector('.replies-toggle').hidden = true;
          parentLi.append(block);
        }
        block.addReply(c);
      } else {
        list.prepend(commentItem(c));
      }
      input.value = '';
      replyTo = null;
      replyChip.hidden = true;
    } catch (err) {
      alert.textContent = errorText(err);
    } finally {
      send.disabled = false;
    }
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.defaultPrevented) { // the autocomplete takes an Enter that picks a suggestion
      e.preventDefault();
      form.requestSubmit();
    }
  });

  s.body.append(h('div.comments-scroll', list, status, more), form);
  setTitle();
  load();
  input.focus();
}
