-- Search: GET /api/search and /api/search/suggest (search.go explains the design; the
-- "Search" section of docs/design.md the ranking).
--
-- Every query bounds its work whatever the table sizes: candidates come from an index (a
-- range, a trigram or full-text match) and are capped *before* they are scored, and the
-- page is cut from the capped set by a keyset on (score, id). Every candidate passes
-- the visibility rule: hidden_video and hidden_user (migration 00015) for videos and
-- users, search_visible (00008, constant true and inlined away) for hashtags and sounds.
--
-- Scores are float8 throughout (a numeric literal such as 0.1 would make ln() numeric, 50x
-- slower). Popularity terms are log2(1 + count): one doubling of followers, videos or
-- engagement is worth one point.

-- name: SearchVideosSelective :many
-- Videos for a selective query (its rarest word is in few captions): the GIN index
-- videos_caption_search_idx yields the matches (a bitmap: the work grows with the rarest
-- word's number of captions, which the caller keeps small), the first @candidates of them
-- are scored, the page is cut from those. The MATERIALIZED CTE is a fence: planned for
-- every match it is a bitmap scan, and the LIMIT above it stops reading the heap early.
WITH q AS MATERIALIZED (
    SELECT t.exact,
           CASE WHEN @prefix::boolean AND right(t.exact::text, 1) = ''''
                THEN (t.exact::text || ':*')::tsquery ELSE t.exact END AS match
    FROM (SELECT websearch_to_tsquery('simple', @query::text) AS exact) t
),
m AS MATERIALIZED (
    SELECT v.id, v.user_id, v.caption_search, v.like_count, v.comment_count, v.views
    FROM videos v
    WHERE v.caption_search @@ (SELECT q.match FROM q) -- videos_caption_search_idx
),
cand AS (
    SELECT m.id,
           ln((1 + m.like_count + 3 * m.comment_count)::float8 + 0.1::float8 * m.views) / ln(2::float8)
             + 16 * ts_rank_cd(m.caption_search, q.match, 1)
             + CASE WHEN m.caption_search @@ q.exact THEN 4 ELSE 0 END AS score
    FROM q, m
    WHERE NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, m.id, m.user_id))
    LIMIT @candidates::int
)
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked,
       p.score::float8 AS score
FROM (SELECT c.id, c.score FROM cand c
      WHERE (c.score, c.id) < (@after_score::float8, @after_id::bigint)
      ORDER BY c.score DESC, c.id DESC
      LIMIT @lim) p
JOIN video_feed f ON f.id = p.id
ORDER BY p.score DESC, p.id DESC;

-- name: SearchVideosCommon :many
-- Videos for a common query (every word in many captions, where the GIN bitmap would cost
-- as much as the matches): walk videos_hot_rank_id_idx from the top and keep the first
-- @candidates matches among at most @scan videos — the hottest matches, at a bounded cost —
-- then score them and cut the page. The tsquery is computed once (the CTE), not per row.
WITH q AS MATERIALIZED (
    SELECT t.exact,
           CASE WHEN @prefix::boolean AND right(t.exact::text, 1) = ''''
                THEN (t.exact::text || ':*')::tsquery ELSE t.exact END AS match
    FROM (SELECT websearch_to_tsquery('simple', @query::text) AS exact) t
),
cand AS (
    SELECT v.id,
           ln((1 + v.like_count + 3 * v.comment_count)::float8 + 0.1::float8 * v.views) / ln(2::float8)
             + 16 * ts_rank_cd(v.caption_search, q.match, 1)
             + CASE WHEN v.caption_search @@ q.exact THEN 4 ELSE 0 END AS score
    FROM q,
         (SELECT w.id, w.user_id, w.caption_search, w.like_count, w.comment_count, w.views
          FROM videos w
          ORDER BY w.hot_rank DESC, w.id DESC -- videos_hot_rank_id_idx
          LIMIT @scan::int) v
    WHERE v.caption_search @@ q.match
      AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id))
    LIMIT @candidates::int
)
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked,
       p.score::float8 AS score
FROM (SELECT c.id, c.score FROM cand c
      WHERE (c.score, c.id) < (@after_score::float8, @after_id::bigint)
      ORDER BY c.score DESC, c.id DESC
      LIMIT @lim) p
JOIN video_feed f ON f.id = p.id
ORDER BY p.score DESC, p.id DESC;

-- name: CaptionLexemeFrequencies :one
-- The most common caption words and the share of captions holding each (two arrays of the
-- same length, element by element), from the planner's statistics of
-- videos.caption_search: ANALYZE (autovacuum) keeps them, a sampled estimate. The store
-- reads them every few minutes to tell common queries from selective ones. No row before
-- the first ANALYZE.
SELECT s.most_common_elems::text::text[] AS lexemes, s.most_common_elem_freqs::float8[] AS freqs
FROM pg_catalog.pg_stats s
WHERE s.schemaname = current_schema() AND s.tablename = 'videos' AND s.attname = 'caption_search'
  AND s.most_common_elems IS NOT NULL;

-- name: SearchUsersRanked :many
-- Users by username or name (@query lower case; [@query, @query_end) its prefix range).
-- Candidates: the exact username (an equality on lower(username)), at most @cap usernames
-- and at most @cap names starting with the query (ranges over users_username_prefix_idx and
-- users_name_prefix_idx), and, for a query of 3 characters or more (@fuzzy) and only when
-- the page needs them (below), at most @fuzzy_cap similar usernames (% on
-- users_username_trgm_idx) and @fuzzy_cap names holding a word similar to the query (%> on
-- users_name_trgm_idx, scored by strict_word_similarity, which keeps to whole words).
-- Trigram searches are the costly part: their GIN scan reads the posting list of every
-- trigram of the query, and each candidate is rechecked on its row.
--
-- score = 64 × tier (2: the whole username or name, 1: a prefix of one, 0: a trigram
-- match) + 16 × closeness (the share of the name the prefix covers, or the similarity)
-- + log2(1 + followers). The tiers never overlap; within one, 16 points of closeness
-- weigh as much as 2^16 times the followers.
WITH pre AS MATERIALIZED (
    SELECT u.id, 64 * 2 + 16 AS closeness
    FROM users u WHERE lower(u.username) = @query::text
    UNION ALL
    (SELECT u.id, 64 + 16 * char_length(@query::text)::float8 / char_length(u.username)
     FROM users u
     WHERE lower(u.username) ~>=~ @query::text AND lower(u.username) ~<~ @query_end::text
     LIMIT @cap::int)
    UNION ALL
    (SELECT u.id, CASE WHEN lower(u.name) = @query::text THEN 64 * 2 ELSE 64 END
                  + 16 * char_length(@query::text)::float8 / char_length(u.name)
     FROM users u
     WHERE lower(u.name) ~>=~ @query::text AND lower(u.name) ~<~ @query_end::text
     LIMIT @cap::int)
),
pre_scored AS MATERIALIZED (
    SELECT u.id, max(pre.closeness) + ln(1 + u.follower_count::float8) / ln(2::float8) AS score
    FROM pre JOIN users u ON u.id = pre.id
    WHERE NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id))
    GROUP BY u.id
),
-- A trigram match scores 16 × similarity + log2(1 + popularity) < 64, below every prefix
-- match, so trigram matches are looked for only when this page reaches past the prefix
-- matches: when fewer than @fuzzy_below (the page's size; 0: never) of those remain after
-- the cursor.
fuzzy AS MATERIALIZED (
    SELECT u.id, max(f.closeness) + ln(1 + u.follower_count::float8) / ln(2::float8) AS score
    FROM (
        (SELECT t.id, 16 * similarity(lower(t.username), @query::text)::float8 AS closeness
         FROM users t
         WHERE @fuzzy::boolean
          AND (SELECT count(*) FROM pre_scored p WHERE (p.score, p.id) < (@after_score::float8, @after_id::bigint)) < @fuzzy_below::int
           AND lower(t.username) % @query::text
         LIMIT @fuzzy_cap::int)
        UNION ALL
        (SELECT t.id, 16 * strict_word_similarity(@query::text, lower(t.name))::float8
         FROM users t
         WHERE @fuzzy::boolean
          AND (SELECT count(*) FROM pre_scored p WHERE (p.score, p.id) < (@after_score::float8, @after_id::bigint)) < @fuzzy_below::int
           AND lower(t.name) %> @query::text
         LIMIT @fuzzy_cap::int)
    ) f
    JOIN users u ON u.id = f.id
    WHERE NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id))
      AND NOT EXISTS (SELECT 1 FROM pre_scored p WHERE p.id = u.id)
    GROUP BY u.id
),
scored AS (
    SELECT pre_scored.id, pre_scored.score FROM pre_scored
    UNION ALL
    SELECT fuzzy.id, fuzzy.score FROM fuzzy
)
SELECT sqlc.embed(u),
       EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = @viewer_id AND f.following_id = u.id) AS is_following,
       p.score::float8 AS score
FROM (SELECT s.id, s.score FROM scored s
      WHERE (s.score, s.id) < (@after_score::float8, @after_id::bigint)
      ORDER BY s.score DESC, s.id DESC
      LIMIT @lim) p
JOIN users u ON u.id = p.id
ORDER BY p.score DESC, p.id DESC;

-- name: SearchHashtagsRanked :many
-- Hashtags by name (stored normalised; @query is too), as users: the exact name
-- (hashtags_name_key), the prefix range (hashtags_name_prefix_idx) and, when @fuzzy and
-- those did not fill @cap, similar names or names holding something similar (% and %> on
-- hashtags_name_trgm_idx), at most @cap prefixes and @fuzzy_cap similar ones; score as for
-- users with log2(1 + videos).
WITH pre AS MATERIALIZED (
    SELECT h.id, 64 * 2 + 16 AS closeness
    FROM hashtags h WHERE h.name = @query::text
    UNION ALL
    (SELECT h.id, 64 + 16 * char_length(@query::text)::float8 / char_length(h.name)
     FROM hashtags h
     WHERE h.name ~>=~ @query::text AND h.name ~<~ @query_end::text
     LIMIT @cap::int)
),
pre_scored AS MATERIALIZED (
    SELECT h.id, max(pre.closeness) + ln(1 + h.video_count::float8) / ln(2::float8) AS score
    FROM pre JOIN hashtags h ON h.id = pre.id
    WHERE search_visible('hashtag', h.id, NULL, @viewer_id::bigint)
    GROUP BY h.id
),
-- A trigram match scores 16 × similarity + log2(1 + popularity) < 64, below every prefix
-- match, so trigram matches are looked for only when this page reaches past the prefix
-- matches: when fewer than @fuzzy_below (the page's size; 0: never) of those remain after
-- the cursor.
fuzzy AS MATERIALIZED (
    SELECT h.id, max(f.closeness) + ln(1 + h.video_count::float8) / ln(2::float8) AS score
    FROM (
        SELECT t.id, 16 * greatest(similarity(t.name, @query::text), word_similarity(@query::text, t.name))::float8 AS closeness
        FROM hashtags t
        WHERE @fuzzy::boolean
          AND (SELECT count(*) FROM pre_scored p WHERE (p.score, p.id) < (@after_score::float8, @after_id::bigint)) < @fuzzy_below::int
          AND (t.name % @query::text OR t.name %> @query::text)
        LIMIT @fuzzy_cap::int
    ) f
    JOIN hashtags h ON h.id = f.id
    WHERE search_visible('hashtag', h.id, NULL, @viewer_id::bigint)
      AND NOT EXISTS (SELECT 1 FROM pre_scored p WHERE p.id = h.id)
    GROUP BY h.id
),
scored AS (
    SELECT pre_scored.id, pre_scored.score FROM pre_scored
    UNION ALL
    SELECT fuzzy.id, fuzzy.score FROM fuzzy
)
SELECT h.id, h.name, h.video_count, h.view_count, p.score::float8 AS score
FROM (SELECT c.id, c.score FROM scored c
      WHERE (c.score, c.id) < (@after_score::float8, @after_id::bigint)
      ORDER BY c.score DESC, c.id DESC
      LIMIT @lim) p
JOIN hashtags h ON h.id = p.id
ORDER BY p.score DESC, p.id DESC;

-- name: SearchSoundsRanked :many
-- Sounds by name, as hashtags, over sounds.name_key (the NFC, lower-case, space-collapsed
-- name; @query is a key too): sounds_name_key_key, sounds_name_prefix_idx and
-- sounds_name_trgm_idx; score with log2(1 + the videos using the sound).
WITH pre AS MATERIALIZED (
    SELECT s.id, 64 * 2 + 16 AS closeness
    FROM sounds s WHERE s.name_key = @query::text
    UNION ALL
    (SELECT s.id, 64 + 16 * char_length(@query::text)::float8 / char_length(s.name_key)
     FROM sounds s
     WHERE s.name_key ~>=~ @query::text AND s.name_key ~<~ @query_end::text
     LIMIT @cap::int)
),
pre_scored AS MATERIALIZED (
    SELECT s.id, max(pre.closeness) + ln(1 + s.video_count::float8) / ln(2::float8) AS score
    FROM pre JOIN sounds s ON s.id = pre.id
    WHERE search_visible('sound', s.id, NULL, @viewer_id::bigint)
    GROUP BY s.id
),
-- A trigram match scores 16 × similarity + log2(1 + popularity) < 64, below every prefix
-- match, so trigram matches are looked for only when this page reaches past the prefix
-- matches: when fewer than @fuzzy_below (the page's size; 0: never) of those remain after
-- the cursor.
fuzzy AS MATERIALIZED (
    SELECT s.id, max(f.closeness) + ln(1 + s.video_count::float8) / ln(2::float8) AS score
    FROM (
        SELECT t.id, 16 * greatest(similarity(t.name_key, @query::text), word_similarity(@query::text, t.name_key))::float8 AS closeness
        FROM sounds t
        WHERE @fuzzy::boolean
          AND (SELECT count(*) FROM pre_scored p WHERE (p.score, p.id) < (@after_score::float8, @after_id::bigint)) < @fuzzy_below::int
          AND (t.name_key % @query::text OR t.name_key %> @query::text)
        LIMIT @fuzzy_cap::int
    ) f
    JOIN sounds s ON s.id = f.id
    WHERE search_visible('sound', s.id, NULL, @viewer_id::bigint)
      AND NOT EXISTS (SELECT 1 FROM pre_scored p WHERE p.id = s.id)
    GROUP BY s.id
),
scored AS (
    SELECT pre_scored.id, pre_scored.score FROM pre_scored
    UNION ALL
    SELECT fuzzy.id, fuzzy.score FROM fuzzy
)
SELECT s.id, s.name, s.video_count, p.score::float8 AS score
FROM (SELECT c.id, c.score FROM scored c
      WHERE (c.score, c.id) < (@after_score::float8, @after_id::bigint)
      ORDER BY c.score DESC, c.id DESC
      LIMIT @lim) p
JOIN sounds s ON s.id = p.id
ORDER BY p.score DESC, p.id DESC;

-- name: SearchSuggest :many
-- Type-ahead: usernames, hashtags and sounds starting with @prefix (lower case; [@prefix,
-- @prefix_end) is the range), exact matches first, then the most popular (a user's
-- followers, a tag's or a sound's videos). Each source reads at most @scan entries of its
-- prefix index (users_username_prefix_idx, hashtags_name_prefix_idx,
-- sounds_name_prefix_idx), in name order; for a short prefix (@short), whose range can be
-- long, the tags and sounds also look among the @scan most used ones
-- (hashtags_trend_idx, sounds_video_count_idx), so the popular ones are found whatever
-- their place in the alphabet. @users, @hashtags and @sounds switch sources off (a query
-- written "#…" or "@…").
SELECT x.kind::text AS kind, x.text::text AS text, x.id::bigint AS id, x.popularity::bigint AS popularity
FROM (
    (SELECT 'user' AS kind, u.username AS text, u.id, u.follower_count AS popularity,
            lower(u.username) = @prefix::text AS exact
     FROM users u
     WHERE @users::boolean
       AND lower(u.username) ~>=~ @prefix::text AND lower(u.username) ~<~ @prefix_end::text
       AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id))
     LIMIT @scan::int)
    UNION
    (SELECT 'hashtag', h.name, h.id, h.video_count, h.name = @prefix::text
     FROM hashtags h
     WHERE @hashtags::boolean
       AND h.name ~>=~ @prefix::text AND h.name ~<~ @prefix_end::text
       AND search_visible('hashtag', h.id, NULL, @viewer_id::bigint)
     LIMIT @scan::int)
    UNION
    (SELECT 'hashtag', h.name, h.id, h.video_count, h.name = @prefix::text
     FROM (SELECT t.id, t.name, t.video_count FROM hashtags t
           WHERE @hashtags::boolean AND @short::boolean
           ORDER BY t.trend_score DESC, t.id DESC
           LIMIT @scan::int) h
     WHERE h.name ~>=~ @prefix::text AND h.name ~<~ @prefix_end::text
       AND search_visible('hashtag', h.id, NULL, @viewer_id::bigint))
    UNION
    (SELECT 'sound', s.name, s.id, s.video_count, s.name_key = @prefix::text
     FROM sounds s
     WHERE @sounds::boolean
       AND s.name_key ~>=~ @prefix::text AND s.name_key ~<~ @prefix_end::text
       AND search_visible('sound', s.id, NULL, @viewer_id::bigint)
     LIMIT @scan::int)
    UNION
    (SELECT 'sound', s.name, s.id, s.video_count, s.name_key = @prefix::text
     FROM (SELECT t.id, t.name, t.name_key, t.video_count FROM sounds t
           WHERE @sounds::boolean AND @short::boolean
           ORDER BY t.video_count DESC, t.id DESC
           LIMIT @scan::int) s
     WHERE s.name_key ~>=~ @prefix::text AND s.name_key ~<~ @prefix_end::text
       AND search_visible('sound', s.id, NULL, @viewer_id::bigint))
) x
ORDER BY x.exact DESC, x.popularity DESC, x.kind, x.id
LIMIT @lim;
