package flightserver

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Authentication: every call carries "authorization: Bearer <token>". Handshake also accepts the
// token as the password of HTTP Basic auth (pyarrow's authenticate_basic_token, ADBC's
// username/password) or as the handshake payload, and answers with a bearer token bound to a
// fresh session: "<token>.<session id>". Calls with that bearer token use that session, so each
// Flight SQL connection gets its own temp views without any Quiver-specific header.

const (
	authorizationHeader = "authorization"
	// SessionHeader carries the client's session id; it overrides the session in the bearer token.
	SessionHeader = "x-quiver-session-id"
	// DefaultSession is the session of calls that name none.
	DefaultSession = "default"
)

type contextKey int

const sessionKey contextKey = iota

func (s *Server) checkToken(presented string) bool {
	return subtle.ConstantTimeCompare([]byte(presented), []byte(s.cfg.Token)) == 1
}

// authenticate validates the bearer token of a call and returns its session id.
func (s *Server) authenticate(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var bearer string
	for _, v := range md.Get(authorizationHeader) {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			bearer = strings.TrimSpace(v[7:])
		}
	}
	if bearer == "" {
		return "", status.Error(codes.Unauthenticated, "missing credentials: send 'authorization: Bearer <token>' (the token the server was started with), or call Handshake first")
	}
	session, ok := s.splitBearer(bearer)
	if !ok {
		return "", status.Error(codes.Unauthenticated, "invalid token: the bearer token does not match the server's token")
	}
	if ids := md.Get(SessionHeader); len(ids) > 0 && ids[0] != "" {
		session = ids[0]
	}
	if session == "" {
		session = DefaultSession
	}
	return session, nil
}

// splitBearer checks a bearer token, either the server's token itself or "<token>.<session>"
// as Handshake issues it, and returns the session part. The token may itself contain dots (a
// JWT does), so the split is at the token's length, not at the first dot.
func (s *Server) splitBearer(bearer string) (session string, ok bool) {
	if s.checkToken(bearer) {
		return "", true
	}
	n := len(s.cfg.Token)
	if len(bearer) > n && bearer[n] == '.' && s.checkToken(bearer[:n]) {
		return bearer[n+1:], true
	}
	return "", false
}

// handshakeToken extracts the token a Handshake presents (Basic password, Bearer, or payload).
func handshakeToken(ctx context.Context, payload []byte) string {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get(authorizationHeader) {
		switch {
		case len(v) > 6 && strings.EqualFold(v[:6], "basic "):
			// Padded (pyarrow, ADBC) or unpadded (arrow-go's AuthenticateBasicToken) base64.
			encoded := strings.TrimRight(strings.TrimSpace(v[6:]), "=")
			raw, err := base64.RawStdEncoding.DecodeString(encoded)
			if err == nil {
				if _, pass, ok := strings.Cut(string(raw), ":"); ok {
					return pass
				}
			}
		case len(v) > 7 && strings.EqualFold(v[:7], "bearer "):
			return strings.TrimSpace(v[7:])
		}
	}
	return string(payload)
}

func sessionFrom(ctx context.Context) string {
	if s, ok := ctx.Value(sessionKey).(string); ok {
		return s
	}
	return DefaultSession
}

const handshakeMethod = "/arrow.flight.protocol.FlightService/Handshake"

func (s *Server) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	session, err := s.authenticate(ctx)
	if err != nil {
		s.log.Info("rejected call", zapMethod(info.FullMethod), zapErr(err))
		return nil, err
	}
	return handler(context.WithValue(ctx, sessionKey, session), req)
}

type sessionStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *sessionStream) Context() context.Context { return w.ctx }

func (s *Server) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if info.FullMethod == handshakeMethod {
		return handler(srv, ss)
	}
	session, err := s.authenticate(ss.Context())
	if err != nil {
		s.log.Info("rejected call", zapMethod(info.FullMethod), zapErr(err))
		return err
	}
	return handler(srv, &sessionStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), sessionKey, session)})
}
