package exec_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/quiverdata/quiver"

// TestImportDirections keeps DESIGN.md's layering true: imports point one way,
// cmd -> flightserver -> {planner, exec}, exec -> {planner, udf, arrowio}, udf -> arrowio.
// It reads the import lists of every non-test Go file in the module (tests may reach further).
func TestImportDirections(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	imports := moduleImports(t, root)
	// forbidden[p] lists packages (and their subpackages) that p and its subpackages must not
	// reach, directly or through other packages of the module.
	forbidden := map[string][]string{
		"planner": {"exec", "flightserver", "udf", "cmd"},
		"exec":    {"flightserver", "cmd"},
		"udf":     {"exec", "planner", "flightserver", "cmd"},
		"arrowio": {"exec", "planner", "flightserver", "udf", "cmd"},
		"errkind": {"exec", "planner", "flightserver", "udf", "arrowio", "cmd"},
		"proto":   {"exec", "planner", "flightserver", "udf", "arrowio", "cmd"},
	}
	for pkg := range imports {
		for prefix, bans := range forbidden {
			if !within(pkg, prefix) {
				continue
			}
			for dep, path := range reach(imports, pkg) {
				for _, ban := range bans {
					if within(dep, ban) {
						t.Errorf("%s must not import %s (DESIGN.md: imports point one way); import path: %s", pkg, dep, strings.Join(path, " -> "))
					}
				}
			}
		}
		// Nothing imports flightserver (but cmd) or cmd.
		for _, dep := range imports[pkg] {
			if within(dep, "cmd") || within(dep, "flightserver") && !within(pkg, "cmd") && !within(pkg, "flightserver") {
				t.Errorf("%s imports %s: nothing may import flightserver (but cmd) or cmd", pkg, dep)
			}
		}
	}
	if len(imports["exec"]) == 0 || len(imports["flightserver"]) == 0 {
		t.Fatalf("found no imports for exec or flightserver under %s: the test is not reading the module", root)
	}
}

// moduleImports maps each package directory (relative to root) to the module packages its
// non-test files import (also as relative directories).
func moduleImports(t *testing.T, root string) map[string][]string {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "python" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			// A file another engineer is writing may not parse yet; it is not this test's subject.
			if _, statErr := os.Stat(path); statErr != nil {
				return nil
			}
			t.Logf("skipping %s: %v", path, err)
			return nil
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == module || strings.HasPrefix(p, module+"/") {
				out[dir] = appendUnique(out[dir], strings.TrimPrefix(strings.TrimPrefix(p, module), "/"))
			} else if _, ok := out[dir]; !ok {
				out[dir] = nil
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reach returns every module package pkg depends on, with one import path to it.
func reach(imports map[string][]string, pkg string) map[string][]string {
	seen := map[string][]string{}
	queue := [][]string{{pkg}}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		deps := append([]string{}, imports[path[len(path)-1]]...)
		sort.Strings(deps)
		for _, dep := range deps {
			if _, ok := seen[dep]; ok || dep == pkg {
				continue
			}
			p := append(append([]string{}, path...), dep)
			seen[dep] = p
			queue = append(queue, p)
		}
	}
	return seen
}

func within(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
