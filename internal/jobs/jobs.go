// Package jobs names the background jobs of the service: their arguments, as River stores
// them (github.com/riverqueue/river), and how they are queued. The Store enqueues them in
// the transaction of the rows that need them; package pipeline works them.
package jobs

import "github.com/riverqueue/river"

// MediaQueue is the queue of media processing jobs; its workers are bounded separately
// from anything else a worker process may run.
const MediaQueue = "media"

// ProcessVideo probes an uploaded video and, where needed, transcodes it and makes its
// poster; the video is "processing" until it is done.
type ProcessVideo struct {
	VideoID int64 `json:"videoId"`
}

// Kind is the job's name in river_job.kind.
func (ProcessVideo) Kind() string { return "process_video" }

// MaxAttempts is how often a video's processing is tried before its job is discarded (the
// video is then failed): a probe or transcode that fails for a reason of the file does not
// retry at all (it cancels its job); this bounds the retries of other failures.
const MaxAttempts = 5

// InsertOpts puts processing jobs on the media queue with MaxAttempts.
func (ProcessVideo) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: MediaQueue, MaxAttempts: MaxAttempts}
}
