package flightserver

import (
	"context"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// ActionHandler serves one Quiver action. body is the action's message, already unpacked from
// its Any; results are protobuf messages sent as Flight results (marshalled, not wrapped in Any).
type ActionHandler struct {
	Type        string
	Description string
	// New returns an empty message of the action's body type.
	New     func() proto.Message
	Handler func(s *Server, ctx context.Context, session *Session, body proto.Message) ([]proto.Message, error)
}

var actions = map[string]ActionHandler{}

// RegisterAction adds an action; files owning a feature register their actions from init.
func RegisterAction(h ActionHandler) { actions[h.Type] = h }

func init() {
	RegisterAction(ActionHandler{Type: "quiver.analyze", Description: "Resolve a plan: schema and explain text (ActionAnalyzePlan -> AnalyzePlanResult)",
		New: func() proto.Message { return &pb.ActionAnalyzePlan{} }, Handler: analyzeAction})
	RegisterAction(ActionHandler{Type: "quiver.release", Description: "Forget a stored DataFrame (ActionReleaseDataFrame)",
		New: func() proto.Message { return &pb.ActionReleaseDataFrame{} }, Handler: releaseAction})
	RegisterAction(ActionHandler{Type: "quiver.list", Description: "List the session's DataFrames and views (ActionListDataFrames -> DataFrameInfo*)",
		New: func() proto.Message { return &pb.ActionListDataFrames{} }, Handler: listAction})
	RegisterAction(ActionHandler{Type: "quiver.config", Description: "Get or set session configuration (ActionConfig -> ConfigResult)",
		New: func() proto.Message { return &pb.ActionConfig{} }, Handler: configAction})
	RegisterAction(ActionHandler{Type: "quiver.create_view", Description: "Create a temp view (ActionCreateView)",
		New: func() proto.Message { return &pb.ActionCreateView{} }, Handler: createViewAction})
	RegisterAction(ActionHandler{Type: "quiver.drop_view", Description: "Drop a temp view (ActionDropView -> DropViewResult)",
		New: func() proto.Message { return &pb.ActionDropView{} }, Handler: dropViewAction})
}

// DoAction runs a Quiver action, or hands Flight SQL actions to the Flight SQL handler.
func (s *Server) DoAction(action *flight.Action, stream flight.FlightService_DoActionServer) (err error) {
	defer s.recoverAs(&err, "DoAction")
	h, ok := actions[action.Type]
	if !ok {
		if !strings.HasPrefix(action.Type, "quiver.") {
			return s.sqlServer().DoAction(action, stream)
		}
		return status.Errorf(codes.InvalidArgument, "unknown action %q; ListActions shows the actions this server supports", action.Type)
	}
	body := h.New()
	if len(action.Body) > 0 {
		var a anypb.Any
		if err := proto.Unmarshal(action.Body, &a); err != nil || a.TypeUrl == "" {
			return status.Errorf(codes.InvalidArgument, "malformed body for action %s: expected a google.protobuf.Any holding %s", action.Type, proto.MessageName(body))
		}
		if err := a.UnmarshalTo(body); err != nil {
			return status.Errorf(codes.InvalidArgument, "malformed body for action %s: %v", action.Type, err)
		}
	}
	results, err := h.Handler(s, stream.Context(), s.session(stream.Context()), body)
	if err != nil {
		return ToStatus(err)
	}
	for _, r := range results {
		raw, err := proto.Marshal(r)
		if err != nil {
			return ToStatus(err)
		}
		if err := stream.Send(&flight.Result{Body: raw}); err != nil {
			return err
		}
	}
	return nil
}

// ListActions lists Quiver's actions.
func (s *Server) ListActions(_ *flight.Empty, stream flight.FlightService_ListActionsServer) error {
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := stream.Send(&flight.ActionType{Type: n, Description: actions[n].Description}); err != nil {
			return err
		}
	}
	return nil
}

func analyzeAction(s *Server, ctx context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionAnalyzePlan)
	q, err := s.PlanProto(session, req.Plan)
	if err != nil {
		return nil, err
	}
	res := &pb.AnalyzePlanResult{
		Schema:     &pb.Schema{ArrowSchema: flight.SerializeSchema(q.Schema(), s.mem)},
		TreeString: logical.Format(q.Analyzed),
	}
	if req.ExplainMode == pb.ActionAnalyzePlan_EXPLAIN_MODE_ANALYZE && ExplainAnalyze != nil {
		text, err := ExplainAnalyze(s, ctx, q)
		if err != nil {
			return nil, err
		}
		res.Explain = text
	} else if req.ExplainMode != pb.ActionAnalyzePlan_EXPLAIN_MODE_UNSPECIFIED {
		res.Explain = q.Explain(req.ExplainMode)
	}
	return []proto.Message{res}, nil
}

// ExplainAnalyze runs a query and renders per-operator metrics; set by the scheduler wiring.
var ExplainAnalyze func(s *Server, ctx context.Context, q *Query) (string, error)

func releaseAction(s *Server, _ context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionReleaseDataFrame)
	if f, err := s.store.Get(req.DataframeId); err == nil && f.Owner != session.ID && f.Owner != "" {
		return nil, errkind.NotFound("DataFrame %q belongs to another session", req.DataframeId)
	}
	s.store.Remove(req.DataframeId)
	return nil, nil
}

func listAction(s *Server, _ context.Context, session *Session, _ proto.Message) ([]proto.Message, error) {
	var out []proto.Message
	for _, f := range s.store.List(session.ID) {
		rows, bytes := f.NumRows, f.NumBytes
		out = append(out, &pb.DataFrameInfo{Name: f.ID, Kind: "dataframe", Schema: &pb.Schema{ArrowSchema: flight.SerializeSchema(f.Schema, s.mem)}, NumRows: &rows, NumBytes: &bytes})
	}
	for _, name := range session.ViewNames() {
		info := &pb.DataFrameInfo{Name: name, Kind: "temp_view"}
		if q, err := s.PlanProto(session, readPlan(name)); err == nil {
			info.Schema = &pb.Schema{ArrowSchema: flight.SerializeSchema(q.Schema(), s.mem)}
		}
		out = append(out, info)
	}
	for _, name := range s.sessions.global.ViewNames() {
		info := &pb.DataFrameInfo{Name: "global_temp." + name, Kind: "global_temp_view"}
		if q, err := s.PlanProto(session, readPlan("global_temp."+name)); err == nil {
			info.Schema = &pb.Schema{ArrowSchema: flight.SerializeSchema(q.Schema(), s.mem)}
		}
		out = append(out, info)
	}
	return out, nil
}

func configAction(_ *Server, _ context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionConfig)
	res := &pb.ConfigResult{Pairs: map[string]string{}}
	switch req.Operation {
	case pb.ActionConfig_OPERATION_SET:
		for k, v := range req.Pairs {
			session.SetConfig(k, v)
		}
	case pb.ActionConfig_OPERATION_GET:
		for _, k := range req.Keys {
			if v, ok := session.Config(k); ok {
				res.Pairs[k] = v
			}
		}
	case pb.ActionConfig_OPERATION_UNSET:
		for _, k := range req.Keys {
			session.UnsetConfig(k)
		}
	case pb.ActionConfig_OPERATION_GET_ALL:
		res.Pairs = session.AllConfig()
	default:
		return nil, errkind.Invalid("ActionConfig needs an operation (SET, GET, UNSET, GET_ALL)")
	}
	return []proto.Message{res}, nil
}

func createViewAction(s *Server, _ context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionCreateView)
	if req.Name == "" {
		return nil, errkind.Invalid("a view needs a name")
	}
	// Analyze now so a broken view fails at creation, as in Spark.
	if _, err := s.PlanProto(session, req.Plan); err != nil {
		return nil, err
	}
	target := session
	if req.IsGlobal {
		target = s.sessions.global
	}
	return nil, target.setView(req.Name, req.Plan, req.Replace)
}

func dropViewAction(s *Server, _ context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionDropView)
	target := session
	if req.IsGlobal {
		target = s.sessions.global
	}
	return []proto.Message{&pb.DropViewResult{Dropped: target.dropView(req.Name)}}, nil
}
