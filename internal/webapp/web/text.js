// Rich text of captions and comments: #hashtags link to their tag page, @mentions to the
// profile. Mentions come from the API's structured spans (offsets in code points) when the
// API returns them, else from the text.

import { h } from './dom.js';

const TAG_CHAR = /[\p{L}\p{M}\p{N}_]/u;
const TAG_LETTER = /[\p{L}\p{M}]/u;
const OPENING = /[\s\p{Ps}]/u;
const NAME_CHAR = /[A-Za-z0-9_.]/;

/** spansOf finds the hashtags and mentions of text (an array of code points). */
function spansOf(cps, mentions) {
  const spans = [];
  let prevTagEnd = -1;
  for (let i = 0; i < cps.length; i++) {
    if (cps[i] !== '#') continue;
    const before = i === 0 ? ' ' : cps[i - 1];
    if (!(OPENING.test(before) || prevTagEnd === i)) continue;
    let j = i + 1;
    while (j < cps.length && j - i - 1 < 100 && TAG_CHAR.test(cps[j])) j++;
    const name = cps.slice(i + 1, j).join('');
    if (!name || !TAG_LETTER.test(name)) continue;
    spans.push({ start: i, end: j, kind: 'tag', value: name.normalize('NFC').toLowerCase() });
    prevTagEnd = j;
    i = j - 1;
  }
  if (Array.isArray(mentions)) {
    for (const m of mentions) {
      if (Number.isInteger(m.start) && Number.isInteger(m.end) && m.end > m.start && m.end <= cps.length) {
        spans.push({ start: m.start, end: m.end, kind: 'user', value: m.username });
      }
    }
  } else {
    for (let i = 0; i < cps.length; i++) {
      if (cps[i] !== '@' || (i > 0 && !/[\s\p{P}]/u.test(cps[i - 1]))) continue;
      let j = i + 1;
      while (j < cps.length && j - i - 1 < 30 && NAME_CHAR.test(cps[j])) j++;
      while (j > i + 1 && cps[j - 1] === '.') j--; // a sentence's full stop is not part of the name
      if (j - i - 1 >= 1) spans.push({ start: i, end: j, kind: 'user', value: cps.slice(i + 1, j).join('') });
      i = j - 1;
    }
  }
  spans.sort((a, b) => a.start - b.start);
  return spans.filter((s, k) => k === 0 || s.start >= spans[k - 1].end);
}

/** richText returns a fragment of text with hashtag and mention links. */
export function richText(text, mentions) {
  const cps = Array.from(text || '');
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const s of spansOf(cps, mentions)) {
    if (s.start > at) frag.append(cps.slice(at, s.start).join(''));
    const label = cps.slice(s.start, s.end).join('');
    const href = s.kind === 'tag' ? `/tag/${encodeURIComponent(s.value)}` : `/@${encodeURIComponent(s.value)}`;
    frag.append(h(`a.${s.kind === 'tag' ? 'tag-link' : 'mention'}`, { href }, label));
    at = s.end;
  }
  if (at < cps.length) frag.append(cps.slice(at).join(''));
  return frag;
}

/** tokenAt returns the #tag or @mention being typed at the caret of a text field, or null. */
export function tokenAt(value, caret) {
  const before = value.slice(0, caret);
  const m = /(^|[\s\p{Ps}])([#@])([\p{L}\p{M}\p{N}_.]{0,100})$/u.exec(before);
  if (!m) return null;
  return { sigil: m[2], text: m[3], start: caret - m[3].length - 1, end: caret };
}
