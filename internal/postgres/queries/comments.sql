-- Every read leaves out what the viewer may not see (hidden_comment, and hidden_video of
-- the commented video: migration 00015). For a list the video's check does not depend on
-- the row and runs once; an empty page of a video the viewer may not see is told apart
-- from an empty one by the store (CheckVisible).

-- name: ListVideoComments :many
-- Comments of a video, newest first: comments_video_id_created_at_id_idx.
SELECT sqlc.embed(f),
       EXISTS (SELECT 1 FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id) AS is_liked
FROM comment_feed f
WHERE f.video_id = @video_id
  AND (f.created_at, f.id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, f.id, f.user_id))
  AND EXISTS (SELECT FROM videos v WHERE v.id = @video_id AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id)))
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim;

-- name: ListVideoCommentsPage :many
-- Page-numbered comments for the original frontend (?page=N). OFFSET is bounded by the
-- handler's page cap; feeds never use it.
SELECT sqlc.embed(f),
       EXISTS (SELECT 1 FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id) AS is_liked
FROM comment_feed f
WHERE f.video_id = @video_id
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, f.id, f.user_id))
  AND EXISTS (SELECT FROM videos v WHERE v.id = @video_id AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id)))
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim OFFSET @off;

-- name: GetComment :one
SELECT sqlc.embed(f),
       EXISTS (SELECT 1 FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id) AS is_liked,
       v.caption AS video_caption, v.thumbnail_url AS video_thumbnail_url, v.user_id AS video_owner_id
FROM comment_feed f
JOIN videos v ON v.id = f.video_id
WHERE f.id = @id
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, f.id, f.user_id))
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id));

-- name: CreateComment :one
INSERT INTO comments (user_id, video_id, content) VALUES (@user_id, @video_id, @content)
RETURNING id;

-- name: UpdateComment :execrows
UPDATE comments SET content = @content WHERE id = @id AND user_id = @user_id;

-- name: DeleteComment :execrows
-- The comment's author or the commented video's owner may delete it.
DELETE FROM comments c
WHERE c.id = @id
  AND (c.user_id = @user_id OR EXISTS (SELECT 1 FROM videos v WHERE v.id = c.video_id AND v.user_id = @user_id));

-- name: CommentExists :one
SELECT EXISTS (SELECT 1 FROM comments WHERE id = @id);

-- name: LikeComment :execrows
INSERT INTO comment_likes (user_id, comment_id) VALUES (@user_id, @comment_id)
ON CONFLICT DO NOTHING;

-- name: UnlikeComment :execrows
DELETE FROM comment_likes WHERE user_id = @user_id AND comment_id = @comment_id;

-- name: CommentLikeCount :one
SELECT like_count FROM comments WHERE id = @id;

-- name: VideoCommentCount :one
SELECT comment_count FROM videos WHERE id = @id;
