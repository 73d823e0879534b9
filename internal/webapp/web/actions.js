// What one can do with a video or a user: like, bookmark, share, not interested, report,
// follow, block. Features that arrived with later API versions (bookmarks, shares, reports,
// blocks) are offered only when the API has them: the video shape carries isBookmarked and
// shareCount, and route probes answer for the rest.

import { session, post, del, request, routeExists, ApiError } from './api.js';
import { h, sheet, toast, errorText, field, announce, confirmDialog } from './dom.js';
import { requireLogin } from './auth.js';

/** videoURL is the shareable address of a video. */
export const videoURL = (v) => `${location.origin}/video/${v.id}`;

/** toggleLike likes or unlikes; like=true only likes (double tap). Returns the new state. */
export async function toggleLike(video, { like } = {}) {
  if (!(await requireLogin('Log in to like videos.'))) return video.isLiked;
  const want = like ?? !video.isLiked;
  if (want === video.isLiked) return want;
  const before = { isLiked: video.isLiked, likeCount: video.likeCount };
  video.isLiked = want;
  video.likeCount += want ? 1 : -1;
  notify(video);
  try {
    const res = await request(want ? 'POST' : 'DELETE', `/api/videos/${video.id}/like`);
    video.isLiked = res.isLiked;
    video.likeCount = res.likeCount;
  } catch (err) {
    Object.assign(video, before);
    toast(errorText(err), { error: true });
  }
  notify(video);
  return video.isLiked;
}

/** hasBookmarks reports whether the API has bookmarks (the video shape says so). */
export const hasBookmarks = (video) => 'isBookmarked' in video;

/** toggleBookmark saves or unsaves a video. */
export async function toggleBookmark(video) {
  if (!(await requireLogin('Log in to save videos.'))) return;
  const want = !video.isBookmarked;
  const before = { isBookmarked: video.isBookmarked, bookmarkCount: video.bookmarkCount };
  video.isBookmarked = want;
  video.bookmarkCount = (video.bookmarkCount || 0) + (want ? 1 : -1);
  notify(video);
  try {
    const res = await request(want ? 'POST' : 'DELETE', `/api/videos/${video.id}/bookmark`);
    video.isBookmarked = res.isBookmarked;
    if (typeof res.bookmarkCount === 'number') video.bookmarkCount = res.bookmarkCount;
    announce(want ? 'Saved to bookmarks' : 'Removed from bookmarks');
  } catch (err) {
    Object.assign(video, before);
    toast(errorText(err), { error: true });
  }
  notify(video);
}

/** notify tells every rendering of the video (feed slide, video page) to update. */
export function notify(video) {
  document.dispatchEvent(new CustomEvent('video-changed', { detail: video }));
}

async function recordShare(video, channel) {
  if (!('shareCount' in video) || !session.signedIn) return;
  try {
    const res = await post(`/api/videos/${video.id}/share`, { channel });
    if (typeof res?.shareCount === 'number') {
      video.shareCount = res.shareCount;
      notify(video);
    }
  } catch { /* a share that could not be counted was still shared */ }
}

/** share opens the share sheet: the system share dialog when there is one, copy link. */
export function share(video) {
  const url = videoURL(video);
  const s = sheet('Share');
  const out = h('p.share-status', { role: 'status' });
  const input = h('input.share-url', { type: 'text', readonly: true, value: url, 'aria-label': 'Link to this video' });
  const copy = h('button.btn.primary', {
    type: 'button',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(url);
        out.textContent = 'Link copied';
      } catch { // no clipboard access: the link is selected for the user to copy
        input.select();
        out.textContent = 'Press Ctrl+C (⌘C) to copy the selected link';
      }
      recordShare(video, 'copy');
    },
  }, 'Copy link');
  s.body.append(input, h('div.row', copy, navigator.share ? h('button.btn', {
    type: 'button',
    onclick: async () => {
      try {
        await navigator.share({ title: `@${video.user.username} on gotok`, text: video.caption, url });
        recordShare(video, 'other');
        s.close();
      } catch { /* dismissed */ }
    },
  }, 'Share via…') : null), out);
  copy.focus();
}

/** notInterested keeps the video (or its creator) out of the For You feed. */
export async function notInterested(video, hideCreator = false) {
  if (!(await requireLogin('Log in to tune your feed.'))) return false;
  try {
    await post(`/api/videos/${video.id}/not-interested`, { hideCreator });
    document.dispatchEvent(new CustomEvent('video-removed', { detail: { video, creator: hideCreator ? video.userId : 0 } }));
    toast(hideCreator ? `You won't see videos from @${video.user.username} in For You` : "We'll show you fewer videos like this");
    return true;
  } catch (err) {
    toast(errorText(err), { error: true });
    return false;
  }
}

// The report reasons of the API (issue 11); the server validates them and its message is
// shown if it disagrees.
const REASONS = [
  ['spam', 'Spam or scam'],
  ['harassment', 'Harassment or bullying'],
  ['hate', 'Hate speech'],
  ['violence', 'Violence or dangerous acts'],
  ['sexual', 'Nudity or sexual content'],
  ['self_harm', 'Suicide or self-harm'],
  ['misinformation', 'False information'],
  ['intellectual_property', 'Intellectual property'],
  ['impersonation', 'Impersonation'],
  ['other', 'Something else'],
];

/** hasReports reports whether the API takes reports. */
export const hasReports = () => routeExists('/api/reports');

/** report opens the report form for a video, comment or user. */
export async function report(targetType, targetId) {
  if (!(await requireLogin('Log in to report.'))) return;
  const s = sheet(`Report this ${targetType}`);
  const name = `reason-${Math.random().toString(36).slice(2, 7)}`;
  const fieldset = h('fieldset.reasons', h('legend', 'Why are you reporting it?'),
    REASONS.map(([value, label], i) => h('label.radio', h('input', { type: 'radio', name: 'reason', value, required: true, checked: i === 0, id: `${name}-${i}` }), ' ', label)));
  const details = field('Details (optional)', { name: 'details', maxlength: 1000, rows: 3 }, { textarea: true });
  const alert = h('p.form-alert', { role: 'alert' });
  const form = h('form.form', fieldset, details.wrap, alert, h('button.btn.primary.block', { type: 'submit' }, 'Send report'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const reason = form.querySelector('input[name=reason]:checked')?.value || 'other';
    try {
      await post('/api/reports', { targetType, targetId, reason, details: details.input.value.trim() || undefined });
      s.close();
      toast('Thanks — our moderators will review it.');
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        s.close();
        toast('You have already reported this.');
        return;
      }
      alert.textContent = errorText(err);
    }
  });
  s.body.append(form);
  form.querySelector('input')?.focus();
}

/** moreSheet offers the less common video actions. */
export async function moreSheet(video, { onDeleted } = {}) {
  const s = sheet('More options');
  const mine = session.user?.id === video.userId;
  const list = h('div.menu');
  s.body.append(list);
  const item = (label, fn) => h('button.menu-item', { type: 'button', onclick: async () => { s.close(); await fn(); } }, label);
  if (!mine) {
    list.append(item('Not interested', () => notInterested(video)),
      item(`Hide videos from @${video.user.username}`, () => notInterested(video, true)));
  }
  if (mine) {
    list.append(item('Delete video', async () => {
      if (!(await confirmDialog('Delete video', 'Delete this video? This cannot be undone.', 'Delete'))) return;
      try {
        await del(`/api/videos/${video.id}`);
        toast('Video deleted');
        document.dispatchEvent(new CustomEvent('video-removed', { detail: { video } }));
        onDeleted?.();
      } catch (err) {
        toast(errorText(err), { error: true });
      }
    }));
  }
  list.firstElementChild?.focus();
  if (!mine && (await hasReports()) && s.dialog.open) {
    list.append(item('Report', () => report('video', video.id)));
  }
}

/** follow follows or unfollows a user; returns the API's answer or null. */
export async function follow(user, want) {
  if (!(await requireLogin(`Log in to follow @${user.username}.`))) return null;
  try {
    const res = await request(want ? 'POST' : 'DELETE', `/api/users/${user.id}/follow`);
    user.isFollowing = res.isFollowing;
    if (typeof res.followerCount === 'number') user.followerCount = res.followerCount;
    document.dispatchEvent(new CustomEvent('user-changed', { detail: user }));
    announce(want ? `Following @${user.username}` : `Unfollowed @${user.username}`);
    return res;
  } catch (err) {
    toast(errorText(err), { error: true });
    return null;
  }
}

/** hasBlocks reports whether the API has blocks. */
export const hasBlocks = () => (session.signedIn ? routeExists('/api/users/me/blocks') : Promise.resolve(false));

/** block blocks or unblocks a user. */
export async function block(user, want) {
  if (want && !(await confirmDialog(`Block @${user.username}?`, "They won't be able to follow you, see your videos or comment on them, and you won't see theirs.", 'Block'))) return false;
  try {
    await request(want ? 'POST' : 'DELETE', `/api/users/${user.id}/block`);
    user.isBlocked = want;
    toast(want ? `Blocked @${user.username}` : `Unblocked @${user.username}`);
    document.dispatchEvent(new CustomEvent('user-changed', { detail: user }));
    return true;
  } catch (err) {
    toast(errorText(err), { error: true });
    return false;
  }
}
