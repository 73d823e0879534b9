package tiktok

// The changes the service accepts: what creating or updating a user, a video or a stored
// object writes. Handlers build them from requests; the store applies them.

// NewUser is what registration stores.
type NewUser struct {
	Username     string
	Email        string
	PasswordHash string
	Name         *string
}

// ProfileUpdate holds the profile fields to change; a Set flag false leaves the field
// as it is, a nil value clears it.
type ProfileUpdate struct {
	SetName, SetBio, SetAvatar bool
	Name, Bio                  *string
	Avatar, AvatarMedia        *string
	AvatarSmall                *string // the 64×64 variant, owned with AvatarMedia
}

// NewVideo is what creating a video stores.
type NewVideo struct {
	UserID               int64
	Caption              string
	VideoURL             string
	ThumbnailURL         *string
	AudioName            *string
	VideoStoragePath     *string
	ThumbnailStoragePath *string
	VideoMedia           *string // stored file the video owns
	ThumbnailMedia       *string
	// VideoObject and ThumbnailObject, when set, are storage-compatible objects the video
	// claims: their files become its VideoMedia and ThumbnailMedia.
	VideoObject, ThumbnailObject *StorageRef
	// Process sends a video whose file the server stores (VideoMedia, or a claimed
	// VideoObject) through the media pipeline: it is created processing, and the job that
	// processes it is enqueued in the same transaction.
	Process bool
}

// VideoUpdate holds the fields to change; nil fields stay as they are. SetAudio
// with a nil AudioName clears it.
type VideoUpdate struct {
	Caption   *string
	AudioName *string
	SetAudio  bool
}

// StorageObject is a file stored through the storage-compatible upload route.
type StorageObject struct {
	MediaName   string
	ContentType string
	// OwnerID is the only user who may claim the object for a video (0: nobody).
	OwnerID int64
}

// StorageRef names a storage-compatible object a new video claims. Field is the request
// field the reference came from ("videoUrl"), named in the errors about it.
type StorageRef struct {
	Bucket, Path string
	Field        string
}
