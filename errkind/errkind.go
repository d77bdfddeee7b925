// Package errkind defines the few error kinds every layer wraps with %w. Only flightserver maps
// kinds to gRPC codes; everything else checks them with errors.Is.
package errkind

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid: the request is wrong (bad plan, unknown column, type mismatch). Not retryable.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound: a named thing (DataFrame, view, ticket) does not exist or is no longer available.
	ErrNotFound = errors.New("not found")
	// ErrNotImplemented: a valid request for something Quiver does not support yet.
	ErrNotImplemented = errors.New("not implemented")
	// ErrUnauthenticated: missing or wrong credentials.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrResourceExhausted: a memory or size limit was hit.
	ErrResourceExhausted = errors.New("resource exhausted")
	// ErrInternal: a bug or an invariant broken inside Quiver.
	ErrInternal = errors.New("internal error")
	// ErrArithmetic: ANSI-mode runtime failures (overflow, division by zero, invalid cast).
	ErrArithmetic = errors.New("arithmetic error")
	// ErrCanceled: the query was cancelled or its client went away.
	ErrCanceled = errors.New("canceled")
)

// Invalid returns an ErrInvalid error with a formatted message.
func Invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// NotFound returns an ErrNotFound error with a formatted message.
func NotFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, args...))
}

// NotImplemented returns an ErrNotImplemented error with a formatted message.
func NotImplemented(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotImplemented, fmt.Sprintf(format, args...))
}

// Internal returns an ErrInternal error with a formatted message.
func Internal(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInternal, fmt.Sprintf(format, args...))
}

// Arithmetic returns an ErrArithmetic error with a formatted message.
func Arithmetic(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrArithmetic, fmt.Sprintf(format, args...))
}

// ResourceExhausted returns an ErrResourceExhausted error with a formatted message.
func ResourceExhausted(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrResourceExhausted, fmt.Sprintf(format, args...))
}
