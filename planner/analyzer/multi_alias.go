package analyzer

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// MultiAlias names each column of a generator: explode(map).alias("key", "value"),
// posexplode(array).alias("p", "v"). The select planner (protoplan/generate.go) hands the names
// to GeneratorColumns; anywhere else it acts as an alias with the first name.
type MultiAlias struct {
	*logical.Alias
	Names []string
}

func (m *MultiAlias) WithChildren(children []logical.Expr) logical.Expr {
	return &MultiAlias{Alias: m.Alias.WithChildren(children).(*logical.Alias), Names: m.Names}
}

// resolveMultiAlias accepts several names only for a generator, as Spark does.
func (a *Analyzer) resolveMultiAlias(u *logical.UnresolvedAlias) (logical.Expr, error) {
	call, ok := logical.StripAlias(u.Child).(*logical.Call)
	if !ok || !GeneratorFunctions[call.Function] {
		return nil, errkind.Invalid("[MULTI_ALIAS_WITHOUT_GENERATOR] multiple names %v can only alias a generator such as explode or posexplode, not '%s'; give one name",
			u.Names, u.Child.String())
	}
	return &MultiAlias{Alias: &logical.Alias{Child: u.Child, Alias: u.Names[0], AttrID: a.IDs.Next(), Metadata: u.Metadata}, Names: u.Names}, nil
}
