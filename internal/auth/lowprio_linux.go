package auth

import "syscall"

// lowerThreadPriority sets the calling OS thread's niceness (Linux applies PRIO_PROCESS
// with a thread id to that thread only). Raising niceness needs no privilege; failure only
// means bcrypt runs at normal priority.
func lowerThreadPriority(nice int) {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}
