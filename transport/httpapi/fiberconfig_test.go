package httpapi

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryFiberAppIsImmutable is the lint rule behind Fiber's zero-copy
// pitfall: every fiber.New in the module (tests included) must set
// Immutable: true, so no request string can outlive its handler by accident.
func TestEveryFiberAppIsImmutable(t *testing.T) {
	root := moduleRoot(t)
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		n, bad := checkFiberNew(fset, f, path)
		found += n
		for _, pos := range bad {
			t.Errorf("%s: fiber.New without Immutable: true (request strings would alias reused buffers)", pos)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("no fiber.New call found: the check is looking in the wrong place")
	}
}

// zeroCopyMarker, in a comment on the line above a fiber.New in a _test.go
// file, followed by a reason, allows that one app to run zero-copy: a
// benchmark measuring what Immutable costs needs one. Nothing else may.
const zeroCopyMarker = "zero-copy on purpose:"

// checkFiberNew counts the fiber.New calls in f and returns the positions of
// those that neither set Immutable: true nor carry the zero-copy marker.
func checkFiberNew(fset *token.FileSet, f *ast.File, path string) (int, []token.Position) {
	found := 0
	var bad []token.Position
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || !isSelector(call.Fun, "fiber", "New") {
			return true
		}
		found++
		if !setsImmutable(call) && !markedZeroCopy(fset, f, call, path) {
			bad = append(bad, fset.Position(call.Pos()))
		}
		return true
	})
	return found, bad
}

func markedZeroCopy(fset *token.FileSet, f *ast.File, call *ast.CallExpr, path string) bool {
	if !strings.HasSuffix(path, "_test.go") {
		return false
	}
	line := fset.Position(call.Pos()).Line
	for _, g := range f.Comments {
		if fset.Position(g.End()).Line != line-1 {
			continue
		}
		_, reason, ok := strings.Cut(g.Text(), zeroCopyMarker)
		return ok && strings.TrimSpace(reason) != ""
	}
	return false
}

func TestZeroCopyMarkerIsNarrow(t *testing.T) {
	const src = `package p
func a() { fiber.New(fiber.Config{}) }
func b() {
	// zero-copy on purpose: measures what Immutable costs
	fiber.New(fiber.Config{})
}
func c() {
	// zero-copy on purpose:
	fiber.New(fiber.Config{})
}
func d() { fiber.New(fiber.Config{Immutable: true}) }
`
	for _, c := range []struct {
		path string
		want []int // lines refused
	}{
		{"x_test.go", []int{2, 9}},
		{"x.go", []int{2, 5, 9}},
	} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, c.path, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		n, bad := checkFiberNew(fset, f, c.path)
		var lines []int
		for _, p := range bad {
			lines = append(lines, p.Line)
		}
		if n != 4 || fmt.Sprint(lines) != fmt.Sprint(c.want) {
			t.Errorf("%s: %d calls, refused lines %v, want 4 and %v", c.path, n, lines, c.want)
		}
	}
}

func TestAppIsImmutable(t *testing.T) {
	app := newTestApp(t)
	if !app.Config().Immutable {
		t.Fatal("the API's Fiber app must run with Immutable: true")
	}
}

func setsImmutable(call *ast.CallExpr) bool {
	if len(call.Args) != 1 {
		return false
	}
	lit, ok := call.Args[0].(*ast.CompositeLit)
	if !ok {
		return false
	}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Immutable" {
			v, ok := kv.Value.(*ast.Ident)
			return ok && v.Name == "true"
		}
	}
	return false
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}
