package tiktok

import (
	"slices"
	"time"
)

// Role is what an account may do beyond using the app: moderators (and admins) work the
// report queue, hide content and suspend users; only admins change roles.
type Role string

// The roles, least to most privileged.
const (
	RoleUser      Role = "user"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Roles lists every role, least privileged first.
var Roles = []Role{RoleUser, RoleModerator, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// AtLeast reports whether r has every permission of min.
func (r Role) AtLeast(min Role) bool {
	return slices.Index(Roles, r) >= slices.Index(Roles, min) && slices.Index(Roles, min) >= 0
}

// TargetType is the kind of thing a report or a moderation action is about.
type TargetType string

// The target types.
const (
	TargetVideo   TargetType = "video"
	TargetComment TargetType = "comment"
	TargetUser    TargetType = "user"
)

// Valid reports whether t is a video, a comment or a user.
func (t TargetType) Valid() bool { return t == TargetVideo || t == TargetComment || t == TargetUser }

// Target names a video, a comment or a user.
type Target struct {
	Type TargetType
	ID   int64
}

// ReportReasons is the fixed list of reasons a report may give.
var ReportReasons = []string{
	"spam", "harassment", "hate", "violence", "sexual", "self_harm",
	"misinformation", "intellectual_property", "impersonation", "other",
}

// Resolutions is how a moderator may close the open reports on a target: something was
// done about it, or nothing needed to be.
var Resolutions = []string{"actioned", "dismissed"}

// NewReport is what reporting stores.
type NewReport struct {
	ReporterID int64
	Target     Target
	Reason     string
	Details    *string
}

// Report is a user's report of a video, comment or user.
type Report struct {
	ID         int64
	ReporterID int64
	Reporter   *UserMini // set in the moderators' queue
	Target     Target
	Reason     string
	Details    *string
	Status     string  // open | resolved
	Resolution *string // actioned | dismissed, once resolved (set in the data export)
	CreatedAt  time.Time
	ResolvedAt *time.Time // set in the data export
}

// ReportGroup is one entry of the moderators' queue: a target with open reports, how many,
// since when, what it is and its latest open reports.
type ReportGroup struct {
	Key       PageKey // (queued at, queue row id): the queue's sort key, oldest first
	Target    Target
	OpenCount int64
	QueuedAt  time.Time
	// Owner is the user the target belongs to (the user itself for a user target); nil
	// when the account is gone.
	Owner *UserMini
	// Text is the video's caption or the comment's content ("" for a user).
	Text string
	// VideoID is the commented video of a comment target.
	VideoID *int64
	// Hidden is the moderation reason of a hidden video or comment; Suspended tells a
	// suspended user (or a target whose owner is).
	Hidden    *string
	Suspended bool
	Latest    []Report
}

// AuditEntry is one line of the moderation audit log.
type AuditEntry struct {
	ID int64
	// Actor is the moderator or admin who acted; nil for the system, the command line, or
	// an account deleted since.
	Actor     *UserMini
	Source    string // moderator | system | cli
	Action    string
	Target    Target
	Reason    *string
	CreatedAt time.Time
}

// Block is one entry of a user's list of blocked users.
type Block struct {
	User      UserMini
	BlockedAt time.Time
}

// ModerationState is what a moderation action left: whether the target is hidden (a video
// or comment) or suspended (a user), and why.
type ModerationState struct {
	Target  Target
	Hidden  bool // hidden, or suspended for a user
	Reason  *string
	Changed bool // false when the target already was in this state
}
