// Package tiktok holds the domain types of the short-video service and its error model.
// It imports neither net/http nor the database driver: every other package speaks in
// these types.
package tiktok

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. The HTTP layer maps each code to a status
// in exactly one table; clients switch on it.
type Code string

// The complete list of error codes the API returns.
const (
	CodeInvalidJSON          Code = "invalid_json"
	CodeValidation           Code = "validation_failed"
	CodeInvalidID            Code = "invalid_id"
	CodeInvalidCursor        Code = "invalid_cursor"
	CodeInvalidLimit         Code = "invalid_limit"
	CodeCannotFollowSelf     Code = "cannot_follow_self"
	CodeCannotBlockSelf      Code = "cannot_block_self"
	CodeCannotReportSelf     Code = "cannot_report_self"
	CodeAccountSuspended     Code = "account_suspended"
	CodeTokenMissing         Code = "token_missing"
	CodeTokenInvalid         Code = "token_invalid"
	CodeTokenExpired         Code = "token_expired"
	CodeInvalidCredentials   Code = "invalid_credentials"
	CodeForbidden            Code = "forbidden"
	CodeNotFound             Code = "not_found"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeRequestTimeout       Code = "request_timeout"
	CodeUsernameTaken        Code = "username_taken"
	CodeEmailTaken           Code = "email_taken"
	CodeTooLarge             Code = "too_large"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	CodeRateLimited          Code = "rate_limited"
	CodeInternal             Code = "internal"
	CodeUnavailable          Code = "unavailable"
	CodeNotImplemented       Code = "not_implemented" // a feature this server's configuration lacks
)

// Error is the application error: a code, a message fit for clients and, for validation
// failures, one problem per field. Cause, when set, is logged but never shown to clients.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	Cause   error
	// RetryAfter, for rate_limited errors, is how long the client should wait.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error listing every field problem at once.
// It returns nil when fields is empty, so callers can write `return tiktok.Invalid(f)`.
func Invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: "Validation failed", Fields: fields}
}

// NotFound returns a not_found error naming what was not found ("Video not found").
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// Forbidden returns the error for an authenticated caller who does not own the resource.
func Forbidden() *Error {
	return &Error{Code: CodeForbidden, Message: "You are not allowed to do this"}
}

// ErrorCode returns the code of the first *Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the first *Error in err's chain, or an internal error wrapping err.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Cause: err}
}
