package protoplan

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	DataSourceReader = readFiles
}

// readFiles plans spark.read...load(paths): it lists the files and settles the schema now (as
// Spark does when the DataFrame is created), so analysis errors show at once.
func readFiles(c *Converter, ds *pb.Read_DataSource) (logical.Plan, error) {
	var userSchema *arrow.Schema
	if ds.Schema != nil && len(ds.Schema.ArrowSchema) > 0 {
		s, err := DecodeSchema(ds.Schema.ArrowSchema)
		if err != nil {
			return nil, err
		}
		userSchema = s
	} else if ds.SchemaDdl != nil && strings.TrimSpace(*ds.SchemaDdl) != "" {
		s, err := ParseDDLSchema(*ds.SchemaDdl, c.A.Config.SessionTimeZone)
		if err != nil {
			return nil, err
		}
		userSchema = s
	}
	dataset, err := arrowio.Discover(arrowio.DiscoverSpec{
		Format: ds.Format, Paths: ds.Paths, Options: ds.Options, Schema: userSchema, TimeZone: c.A.Config.SessionTimeZone,
	})
	if err != nil {
		return nil, err
	}
	return logical.NewScan(dataset, c.A.IDs), nil
}

// ParseDDLSchema parses a schema in Spark DDL ("a INT, b STRING" or "struct<a:int,b:string>").
func ParseDDLSchema(ddl, sessionTimeZone string) (*arrow.Schema, error) {
	text := strings.TrimSpace(ddl)
	if !strings.HasPrefix(strings.ToLower(text), "struct<") {
		text = "struct<" + text + ">"
	}
	t, err := analyzer.ParseDDLType(text, sessionTimeZone)
	if err != nil {
		return nil, err
	}
	st, ok := t.(*arrow.StructType)
	if !ok || st.NumFields() == 0 {
		return nil, errkind.Invalid("the schema %q has no columns; write it as \"name TYPE, ...\"", ddl)
	}
	return arrow.NewSchema(st.Fields(), nil), nil
}
