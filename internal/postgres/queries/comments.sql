-- Every read leaves out what the viewer may not see (hidden_comment, and hidden_video of
-- the commented video: migration 00015). For a list the video's check does not depend on
-- the row and runs once; an empty page of a video the viewer may not see is told apart
-- from an empty one by the store (CheckVisible).

-- name: ListVideoComments :many
-- Top-level comments of a video (tombstones included, replies not), newest first:
-- comments_video_top_idx.
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id), false)::boolean AS is_liked
FROM comment_feed f
WHERE f.video_id = @video_id AND f.parent_id IS NULL
  AND (f.created_at, f.id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, f.id, f.user_id))
  AND EXISTS (SELECT FROM videos v WHERE v.id = @video_id AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id)))
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim;

-- name: ListVideoCommentsPage :many
-- Page-numbered comments for the original frontend (?page=N). OFFSET is bounded by the
-- handler's page cap; feeds never use it. Top-level only, as ListVideoComments.
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id), false)::boolean AS is_liked
FROM comment_feed f
WHERE f.video_id = @video_id AND f.parent_id IS NULL
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, f.id, f.user_id))
  AND EXISTS (SELECT FROM videos v WHERE v.id = @video_id AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id)))
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim OFFSET @off;

-- name: GetComment :one
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id), false)::boolean AS is_liked,
       v.caption AS video_caption, v.thumbnail_url AS video_thumbnail_url, v.user_id AS video_owner_id
FROM comment_feed f
JOIN videos v ON v.id = f.video_id
WHERE f.id = @id
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, f.id, f.user_id))
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id));

-- name: CreateComment :one
-- A top-level comment (parent_id NULL) or a reply to the top-level comment parent_id,
-- which the caller has locked (LockReplyTarget) and checked to be on video_id.
INSERT INTO comments (user_id, video_id, parent_id, content)
VALUES (@user_id::bigint, @video_id, sqlc.narg(parent_id), @content)
RETURNING id;

-- name: UpdateComment :one
-- A tombstone has no author, so it cannot be edited.
UPDATE comments SET content = @content WHERE id = @id AND user_id = @user_id::bigint
RETURNING video_id;

-- name: LockCommentForDelete :one
-- A live comment to delete, locked, with what decides how: its author and the video's
-- owner may delete it; with replies it becomes a tombstone.
SELECT c.user_id, c.parent_id, c.reply_count, v.user_id AS video_owner_id
FROM comments c JOIN videos v ON v.id = c.video_id
WHERE c.id = @id AND c.deleted_at IS NULL
FOR UPDATE OF c;

-- name: LockReplyTarget :one
-- The comment a reply answers, locked against its deletion until the reply is in, with
-- its author's current username (NULL for a tombstone).
SELECT c.id, c.video_id, c.parent_id, (c.deleted_at IS NOT NULL)::boolean AS deleted, c.user_id, u.username
FROM comments c LEFT JOIN users u ON u.id = c.user_id
WHERE c.id = @id
FOR NO KEY UPDATE OF c;

-- name: LockComment :exec
-- The top-level comment of a reply being written or deleted, locked before the reply
-- (every writer locks a reply, then its top-level comment, then the video).
SELECT 1 FROM comments WHERE id = @id FOR NO KEY UPDATE;

-- name: TombstoneComment :exec
-- Makes a comment a tombstone (migration 00012's triggers erase it and count it out).
UPDATE comments SET user_id = NULL WHERE id = @id;

-- name: DeleteCommentRow :exec
DELETE FROM comments WHERE id = @id;

-- name: CommentExists :one
-- Any comment row, tombstones included.
SELECT EXISTS (SELECT 1 FROM comments WHERE id = @id);

-- name: CommentLive :one
-- A comment that is not a tombstone.
SELECT EXISTS (SELECT 1 FROM comments WHERE id = @id AND deleted_at IS NULL);

-- name: ListCommentReplies :many
-- Replies of a comment, oldest first, after the cursor: comments_parent_id_created_at_id_idx.
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id), false)::boolean AS is_liked
FROM comment_feed f
WHERE f.parent_id = @parent_id::bigint
  AND (f.created_at, f.id) > (@after_time::timestamptz, @after_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, f.id, f.user_id))
  AND EXISTS (SELECT FROM videos v WHERE v.id = f.video_id AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id)))
ORDER BY f.created_at, f.id
LIMIT @lim;

-- name: LikeComment :execrows
-- Only a live comment, locked (as the counter update would) so that it cannot become a
-- tombstone, whose likes are deleted, between the check and the insert.
INSERT INTO comment_likes (user_id, comment_id)
SELECT @user_id, c.id FROM comments c WHERE c.id = @comment_id AND c.deleted_at IS NULL FOR NO KEY UPDATE
ON CONFLICT DO NOTHING;

-- name: UnlikeComment :execrows
DELETE FROM comment_likes WHERE user_id = @user_id AND comment_id = @comment_id;

-- name: CommentLikeCount :one
SELECT like_count FROM comments WHERE id = @id AND deleted_at IS NULL;

-- name: VideoCommentCount :one
-- The video's comments (replies included) and its top-level rows (the list's length).
SELECT comment_count, thread_count FROM videos WHERE id = @id;
