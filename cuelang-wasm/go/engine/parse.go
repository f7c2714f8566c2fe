package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
)

// allowedImports are the standard packages a template may use: all of them
// are pure functions of their arguments. Everything else is refused, in
// particular tool/* (exec, file, http, os) and any path whose first element
// looks like a domain, which would need a CUE module registry.
var allowedImports = map[string]bool{
	"crypto/sha256":   true,
	"encoding/base64": true,
	"encoding/hex":    true,
	"encoding/json":   true,
	"encoding/yaml":   true,
	"list":            true,
	"math":            true,
	"math/bits":       true,
	"path":            true,
	"regexp":          true,
	"strconv":         true,
	"strings":         true,
	"struct":          true,
	"time":            true,
}

// AllowedImports lists the permitted import paths, sorted.
func AllowedImports() []string {
	out := make([]string, 0, len(allowedImports))
	for p := range allowedImports {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// injectedDecls declares the top-level `parameter` and `context` fields so a
// template may refer to `context.name` without declaring `context` itself
// (KubeVela injects it the same way). They are appended to the source text,
// after the user's last line, so positions inside the template are unchanged;
// declaring a field twice in CUE simply unifies the two declarations.
const injectedDecls = "\nparameter: _\ncontext: _\n"

// parseTemplate parses src and refuses forbidden imports.
func parseTemplate(file, src string) (*ast.File, *ErrorInfo) {
	f, err := parser.ParseFile(file, src+injectedDecls, parser.ParseComments)
	if err != nil {
		return nil, withinTemplate(toErrorInfo(KindSyntax, err, file), file, strings.Count(src, "\n")+1)
	}
	for _, d := range f.Decls {
		// @extern(embed) would read files next to the template; other extern
		// kinds call out to foreign code. Neither belongs in a pure render.
		if a, ok := d.(*ast.Attribute); ok {
			if name, _ := a.Split(); name == "extern" {
				pos := a.Pos()
				return nil, &ErrorInfo{Kind: KindImport, ErrorItem: ErrorItem{
					Message: "@extern attributes are not allowed: templates cannot embed files or call external code",
					File:    file, Line: pos.Line(), Column: pos.Column(),
				}}
			}
		}
	}
	for spec := range f.ImportSpecs() {
		if msg := checkImport(spec); msg != "" {
			pos := spec.Pos()
			return nil, &ErrorInfo{Kind: KindImport, ErrorItem: ErrorItem{
				Message: msg, File: file, Line: pos.Line(), Column: pos.Column(),
			}}
		}
	}
	return f, nil
}

// withinTemplate drops syntax errors reported inside the injected declarations
// (an unclosed brace in the template is only noticed there), keeping at least
// one error, moved to the template's last line.
func withinTemplate(info *ErrorInfo, file string, lastLine int) *ErrorInfo {
	kept := info.Errors[:0:0]
	for _, e := range info.Errors {
		if e.File != file || e.Line <= lastLine {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 && len(info.Errors) > 0 {
		e := info.Errors[0]
		e.Line, e.Column = lastLine, 1
		kept = append(kept, e)
	}
	if len(kept) > 0 {
		info.Errors = kept
		info.ErrorItem = kept[0]
	}
	return info
}

func checkImport(spec *ast.ImportSpec) string {
	path, err := strconv.Unquote(spec.Path.Value)
	if err != nil {
		return fmt.Sprintf("invalid import path %s", spec.Path.Value)
	}
	// A qualifier (`"strings:strings"`) does not change which package is meant.
	if i := strings.IndexByte(path, ':'); i >= 0 {
		path = path[:i]
	}
	first, _, _ := strings.Cut(path, "/")
	switch {
	case allowedImports[path]:
		return ""
	case first == "tool":
		return fmt.Sprintf("import %q is not allowed: tool packages perform I/O", path)
	case strings.Contains(first, ".") || strings.HasPrefix(path, "."):
		return fmt.Sprintf("import %q is not allowed: templates must be self-contained; CUE modules and registries are not supported", path)
	default:
		return fmt.Sprintf("import %q is not allowed; permitted standard packages: %s", path, strings.Join(AllowedImports(), ", "))
	}
}

// patchAnnotations collects `// +patchKey=k` and `// +patchStrategy=s`
// comments on fields below the top-level `patch` field, keyed by the dotted
// path relative to `patch`. List elements add a `[]` suffix to the path.
func patchAnnotations(f *ast.File) (keys, strategies map[string]string) {
	w := &annotationWalker{keys: map[string]string{}, strategies: map[string]string{}}
	w.decls(f.Decls, nil)
	return w.keys, w.strategies
}

type annotationWalker struct {
	keys, strategies map[string]string
}

func (w *annotationWalker) decls(decls []ast.Decl, path []string) {
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.Field:
			name := labelName(d.Label)
			if name == "" {
				continue
			}
			if len(path) == 0 && name != "patch" {
				continue
			}
			p := append(append([]string(nil), path...), name)
			w.annotate(d, p)
			w.expr(d.Value, p)
		case *ast.Comprehension:
			w.expr(d.Value, path)
		case *ast.EmbedDecl:
			w.expr(d.Expr, path)
		}
	}
}

func (w *annotationWalker) expr(x ast.Expr, path []string) {
	switch x := x.(type) {
	case *ast.StructLit:
		w.decls(x.Elts, path)
	case *ast.ListLit:
		if len(path) == 0 {
			return
		}
		elem := append(append([]string(nil), path[:len(path)-1]...), path[len(path)-1]+"[]")
		for _, e := range x.Elts {
			w.expr(e, elem)
		}
	case *ast.Comprehension:
		w.expr(x.Value, path)
	case *ast.BinaryExpr:
		w.expr(x.X, path)
		w.expr(x.Y, path)
	case *ast.ParenExpr:
		w.expr(x.X, path)
	}
}

func (w *annotationWalker) annotate(field *ast.Field, path []string) {
	if len(path) < 2 {
		return // the `patch` field itself
	}
	rel := strings.Join(path[1:], ".")
	groups := append(ast.Comments(field), ast.Comments(field.Label)...)
	for _, g := range groups {
		for _, c := range g.List {
			text := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
			if v, ok := strings.CutPrefix(text, "+patchKey="); ok {
				w.keys[rel] = firstWord(v)
			} else if v, ok := strings.CutPrefix(text, "+patchStrategy="); ok {
				w.strategies[rel] = firstWord(v)
			}
		}
	}
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
