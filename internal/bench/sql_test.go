package bench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSQLMatchesSqlc keeps sqlText equal to the statements sqlc generated, so the pgbench
// scripts and EXPLAINs measure what the server really sends.
func TestSQLMatchesSqlc(t *testing.T) {
	files, err := filepath.Glob("../postgres/internal/db/*.sql.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sqlc output found: %v", err)
	}
	generated := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok || len(spec.Values) != 1 {
				return true
			}
			lit, ok := spec.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.HasPrefix(s, "-- name: ") {
				return true
			}
			first, rest, _ := strings.Cut(s, "\n")
			name := strings.Fields(strings.TrimPrefix(first, "-- name: "))[0]
			generated[name] = strings.TrimSpace(rest)
			return true
		})
	}
	for name, sql := range sqlText {
		got, ok := generated[name]
		switch {
		case !ok:
			t.Errorf("query %s is not in the sqlc output any more", name)
		case got != sql:
			t.Errorf("query %s differs from the sqlc output: copy it again into sql.go\n--- sqlc:\n%s\n--- bench:\n%s", name, got, sql)
		}
	}
}
