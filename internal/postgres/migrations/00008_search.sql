-- Search (GET /api/search, /api/search/suggest): what search may show.
--
-- search_visible is the one place that decides whether a row may appear in search results:
-- every search query (queries/search.sql) filters its candidates through it, before they
-- are capped and ranked, so that a hidden row never takes a candidate's place. kind is
-- 'video', 'user', 'hashtag' or 'sound'; id the row's id; owner_id the user the row belongs
-- to (a video's author, a user's own id, NULL for hashtags and sounds); viewer_id the signed-in
-- viewer (0 for anonymous viewers).
--
-- Nothing is hidden yet. Blocks (hide what a blocked or blocking user owns from the viewer)
-- and moderation (hide removed videos, suspended accounts, banned tags) change this body
-- only. Today the body is the constant true: a SQL function that simple is inlined by the
-- planner, and the predicate disappears from every plan.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION search_visible(kind text, id bigint, owner_id bigint, viewer_id bigint)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT true
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION search_visible(text, bigint, bigint, bigint);
