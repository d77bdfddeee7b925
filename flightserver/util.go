package flightserver

import (
	"context"
	"errors"
	"runtime"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/quiverdata/quiver/errkind"
)

func defaultParallelism() int { return max(runtime.NumCPU(), 1) }

func zapMethod(m string) zap.Field { return zap.String("method", m) }
func zapErr(err error) zap.Field   { return zap.Error(err) }

func sessionFromHeader(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if ids := md.Get(SessionHeader); len(ids) > 0 && ids[0] != "" {
		return ids[0]
	}
	for _, v := range md.Get(authorizationHeader) {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			if _, session, ok := strings.Cut(strings.TrimSpace(v[7:]), "."); ok && session != "" {
				return session
			}
		}
	}
	return DefaultSession
}

// ToStatus maps an error to a gRPC status by its kind. Errors that already are statuses pass
// through; context errors become Canceled / DeadlineExceeded.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, errkind.ErrInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, errkind.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, errkind.ErrNotImplemented):
		code = codes.Unimplemented
	case errors.Is(err, errkind.ErrUnauthenticated):
		code = codes.Unauthenticated
	case errors.Is(err, errkind.ErrResourceExhausted):
		code = codes.ResourceExhausted
	case errors.Is(err, errkind.ErrArithmetic):
		code = codes.InvalidArgument
	case errors.Is(err, errkind.ErrCanceled), errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	// The gRPC code already says the kind; drop the kind's prefix from the message.
	msg := err.Error()
	for _, kind := range []error{errkind.ErrInvalid, errkind.ErrNotFound, errkind.ErrNotImplemented, errkind.ErrUnauthenticated,
		errkind.ErrResourceExhausted, errkind.ErrInternal, errkind.ErrArithmetic, errkind.ErrCanceled} {
		if strings.HasPrefix(msg, kind.Error()+": ") && code != codes.Internal {
			msg = strings.TrimPrefix(msg, kind.Error()+": ")
			break
		}
	}
	return status.Error(code, msg)
}
