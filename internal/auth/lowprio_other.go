//go:build !linux

package auth

// lowerThreadPriority is a no-op where per-thread priorities are not available.
func lowerThreadPriority(int) {}
