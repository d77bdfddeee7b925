package flightserver

import (
	"context"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Every failed call is logged exactly once, here, with the method, the session, the gRPC code
// and the message the client saw. Errors the client caused (a bad plan, an unknown DataFrame, a
// cancelled stream) log at Info; failures of the server itself (Internal, Unknown) at Error, as
// they are bugs to look at. Handlers therefore do not log their own errors.

func (s *Server) logFailure(ctx context.Context, method string, err error) {
	if err == nil {
		return
	}
	st, _ := status.FromError(err)
	level := zapcore.InfoLevel
	switch st.Code() {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = zapcore.ErrorLevel
	}
	if ce := s.log.Check(level, "call failed"); ce != nil {
		ce.Write(zapMethod(method), zap.String("session", sessionFrom(ctx)), zap.String("code", st.Code().String()),
			zap.String("error", st.Message()))
	}
}

func (s *Server) unaryLog(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	res, err := handler(ctx, req)
	s.logFailure(ctx, info.FullMethod, err)
	return res, err
}

func (s *Server) streamLog(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	err := handler(srv, ss)
	s.logFailure(ss.Context(), info.FullMethod, err)
	return err
}
