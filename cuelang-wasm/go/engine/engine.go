// Package engine renders KubeVela-style CUE templates: a template declares
// `parameter` and reads `context`; the engine fills both from JSON, evaluates,
// and exports `output`, `outputs` and `patch` as concrete JSON. It also
// evaluates the status snippets of definitions (`isHealth`, `message`).
//
// The package does no I/O: it never touches a file system, the network or a
// CUE module registry. Templates may import only pure standard packages.
//
// An Engine is not safe for concurrent use; in WebAssembly there is a single
// thread anyway.
package engine

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
)

const (
	// MaxTemplateBytes caps a template or status snippet. KubeVela's built-in
	// definitions are a few KiB; anything this large is a mistake or an attack.
	MaxTemplateBytes = 256 << 10
	// MaxInputBytes caps the JSON of parameter + context together. Status
	// contexts carry live objects, which can be large but not this large.
	MaxInputBytes = 8 << 20

	// The compiled-template cache holds this many distinct templates.
	compiledCacheSize = 128
	// Every compiled template stays registered in the cue.Context's runtime
	// index for the life of that context, so the context is replaced (and the
	// cache dropped) after this many compilations to bound memory.
	compilesPerContext = 512

	// File names that appear in error positions.
	TemplateFile     = "template"
	HealthPolicyFile = "healthPolicy"
	CustomStatusFile = "customStatus"
	parameterFile    = "parameter"
	contextFile      = "context"
)

// Request is the JSON accepted by Handle.
type Request struct {
	// Mode is "render" (default) or "status".
	Mode string `json:"mode"`
	// Template is the component or trait template (render mode).
	Template string `json:"template"`
	// HealthPolicy is a snippet defining `isHealth` (status mode).
	HealthPolicy string `json:"healthPolicy"`
	// CustomStatus is a snippet defining `message` (status mode).
	CustomStatus string `json:"customStatus"`
	// Parameter and Context are any JSON; null or absent leaves the field open.
	// Numbers are decoded as json.Number and kept exact.
	Parameter any `json:"parameter"`
	Context   any `json:"context"`
}

// RenderResult is what a template produces.
type RenderResult struct {
	Output  json.RawMessage `json:"output,omitempty"`
	Outputs json.RawMessage `json:"outputs"`
	Patch   json.RawMessage `json:"patch,omitempty"`
	// PatchKeys maps the dotted path of a list inside `patch` (list elements
	// appear as `[]`, e.g. `spec.template.spec.containers[].env`) to the key
	// named by a `// +patchKey=<key>` comment on that field.
	PatchKeys map[string]string `json:"patchKeys"`
	// PatchStrategies likewise reports `// +patchStrategy=<strategy>` comments.
	PatchStrategies map[string]string `json:"patchStrategies"`
}

// StatusResult is what the status snippets produce; a field is present only
// when its snippet was given.
type StatusResult struct {
	IsHealth *bool   `json:"isHealth,omitempty"`
	Message  *string `json:"message,omitempty"`
}

// ErrorKind classifies failures so callers can react without parsing text.
type ErrorKind string

const (
	KindRequest    ErrorKind = "request"    // malformed request JSON or input JSON
	KindLimit      ErrorKind = "limit"      // template or input too large
	KindSyntax     ErrorKind = "syntax"     // the template does not parse
	KindImport     ErrorKind = "import"     // a forbidden import
	KindEval       ErrorKind = "eval"       // conflicts, failed constraints, bad references
	KindIncomplete ErrorKind = "incomplete" // a value to export is not concrete
	KindInternal   ErrorKind = "internal"   // a panic inside the engine
)

// ErrorItem is one CUE error with its best source position.
type ErrorItem struct {
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// ErrorInfo is the structured error returned to JavaScript. The top-level
// fields describe the first error; Errors lists up to maxErrorItems of them.
type ErrorInfo struct {
	Kind ErrorKind `json:"kind"`
	ErrorItem
	Errors []ErrorItem `json:"errors,omitempty"`
}

const maxErrorItems = 10

func (e *ErrorInfo) Error() string { return e.Message }

// Response is the JSON returned by Handle.
type Response struct {
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *ErrorInfo `json:"error,omitempty"`
}

type compiled struct {
	value           cue.Value
	patchKeys       map[string]string
	patchStrategies map[string]string
}

// Engine owns a cue.Context and a cache of compiled templates.
type Engine struct {
	ctx      *cue.Context
	compiles int
	cache    *lru[[32]byte, *compiled]
}

// New returns an Engine with an empty cache.
func New() *Engine {
	e := &Engine{}
	e.reset()
	return e
}

func (e *Engine) reset() {
	e.ctx = cuecontext.New()
	e.compiles = 0
	e.cache = newLRU[[32]byte, *compiled](compiledCacheSize)
}

// Handle decodes a JSON request, runs it and encodes the response. It never
// panics: a panic inside CUE becomes an "internal" error.
func (e *Engine) Handle(request string) (response string) {
	defer func() {
		if r := recover(); r != nil {
			// The context may be in an unknown state after a panic.
			e.reset()
			response = encode(Response{Error: &ErrorInfo{
				Kind:      KindInternal,
				ErrorItem: ErrorItem{Message: fmt.Sprintf("cue engine panic: %v\n%s", r, debug.Stack())},
			}})
		}
	}()
	if len(request) > MaxInputBytes+3*MaxTemplateBytes {
		return encode(Response{Error: simpleError(KindLimit, fmt.Sprintf(
			"request is %d bytes, more than the %d allowed", len(request), MaxInputBytes+3*MaxTemplateBytes))})
	}
	var req Request
	if err := decodeJSON(request, &req); err != nil {
		return encode(Response{Error: simpleError(KindRequest, "invalid request JSON: "+err.Error())})
	}
	if inputs := len(request) - len(req.Template) - len(req.HealthPolicy) - len(req.CustomStatus); inputs > MaxInputBytes {
		return encode(Response{Error: simpleError(KindLimit, fmt.Sprintf(
			"parameter and context JSON is about %d bytes, more than the %d allowed", inputs, MaxInputBytes))})
	}
	var result any
	var errInfo *ErrorInfo
	switch req.Mode {
	case "", "render":
		result, errInfo = e.Render(&req)
	case "status":
		result, errInfo = e.Status(&req)
	default:
		errInfo = simpleError(KindRequest, fmt.Sprintf("unknown mode %q (want render or status)", req.Mode))
	}
	if errInfo != nil {
		return encode(Response{Error: errInfo})
	}
	return encode(Response{OK: true, Result: result})
}

func encode(r Response) string {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(Response{Error: simpleError(KindInternal, "encoding response: "+err.Error())})
	}
	return string(b)
}

func simpleError(kind ErrorKind, msg string) *ErrorInfo {
	return &ErrorInfo{Kind: kind, ErrorItem: ErrorItem{Message: msg}}
}

// Render evaluates a component or trait template.
func (e *Engine) Render(req *Request) (*RenderResult, *ErrorInfo) {
	c, errInfo := e.compile(TemplateFile, req.Template)
	if errInfo != nil {
		return nil, errInfo
	}
	v, errInfo := e.fillInputs(c.value, req, TemplateFile)
	if errInfo != nil {
		return nil, errInfo
	}
	res := &RenderResult{
		Outputs:         json.RawMessage("{}"),
		PatchKeys:       c.patchKeys,
		PatchStrategies: c.patchStrategies,
	}
	for _, name := range []string{"output", "outputs", "patch"} {
		f := v.LookupPath(cue.MakePath(cue.Str(name)))
		if !f.Exists() {
			continue
		}
		b, err := f.MarshalJSON()
		if err != nil {
			return nil, toErrorInfo(KindIncomplete, err, TemplateFile)
		}
		switch name {
		case "output":
			res.Output = b
		case "outputs":
			res.Outputs = b
		case "patch":
			res.Patch = b
		}
	}
	return res, nil
}

// Status evaluates the health policy and custom status snippets. Each is
// compiled on its own, as KubeVela does, with `context` (holding the live
// `output`/`outputs`) and `parameter` filled in.
func (e *Engine) Status(req *Request) (*StatusResult, *ErrorInfo) {
	res := &StatusResult{}
	if strings.TrimSpace(req.HealthPolicy) != "" {
		v, errInfo := e.evalSnippet(HealthPolicyFile, req.HealthPolicy, req, "isHealth")
		if errInfo != nil {
			return nil, errInfo
		}
		b, err := v.Bool()
		if err != nil {
			return nil, toErrorInfo(KindEval, err, HealthPolicyFile)
		}
		res.IsHealth = &b
	}
	if strings.TrimSpace(req.CustomStatus) != "" {
		v, errInfo := e.evalSnippet(CustomStatusFile, req.CustomStatus, req, "message")
		if errInfo != nil {
			return nil, errInfo
		}
		s, err := v.String()
		if err != nil {
			return nil, toErrorInfo(KindEval, err, CustomStatusFile)
		}
		res.Message = &s
	}
	return res, nil
}

func (e *Engine) evalSnippet(file, src string, req *Request, field string) (cue.Value, *ErrorInfo) {
	c, errInfo := e.compile(file, src)
	if errInfo != nil {
		return cue.Value{}, errInfo
	}
	v, errInfo := e.fillInputs(c.value, req, file)
	if errInfo != nil {
		return cue.Value{}, errInfo
	}
	f := v.LookupPath(cue.MakePath(cue.Str(field)))
	if !f.Exists() {
		return cue.Value{}, &ErrorInfo{Kind: KindEval, ErrorItem: ErrorItem{
			Message: fmt.Sprintf("%s does not define %s", file, field), File: file}}
	}
	if err := f.Validate(cue.Concrete(true)); err != nil {
		return cue.Value{}, toErrorInfo(KindIncomplete, err, file)
	}
	return f, nil
}

// fillInputs unifies `parameter` and `context` with the JSON inputs and
// reports every conflict in the result, concrete or not.
func (e *Engine) fillInputs(v cue.Value, req *Request, file string) (cue.Value, *ErrorInfo) {
	// Both inputs go in as one struct and one unification: every FillPath
	// re-finalizes the whole value, so two of them evaluate the template twice.
	inputs := map[string]any{}
	for _, in := range []struct {
		name string
		data any
	}{{parameterFile, req.Parameter}, {contextFile, req.Context}} {
		if in.data == nil {
			continue
		}
		x, err := exactNumbers(in.data)
		if err != nil {
			return cue.Value{}, simpleError(KindRequest, fmt.Sprintf("invalid %s JSON: %v", in.name, err))
		}
		inputs[in.name] = x
	}
	if len(inputs) > 0 {
		// Encode builds CUE values straight from Go values, far faster than
		// parsing the JSON as CUE source. Object keys end up sorted.
		x := e.ctx.Encode(inputs)
		if err := x.Err(); err != nil {
			return cue.Value{}, toErrorInfo(KindRequest, err, file)
		}
		v = v.Unify(x)
	}
	// Validate without requiring concreteness: this surfaces conflicts anywhere
	// in the tree (a parameter of the wrong type, a failed constraint) while
	// leaving optional or not-yet-known values alone. Exports check concreteness.
	if err := v.Validate(); err != nil {
		return cue.Value{}, toErrorInfo(KindEval, err, file)
	}
	return v, nil
}

// decodeJSON decodes one JSON value, keeping numbers as json.Number.
func decodeJSON(data string, into any) error {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// exactNumbers replaces json.Number with exact decimals, which
// cue.Context.Encode turns into CUE ints when integral and floats otherwise.
func exactNumbers(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if x[k], err = exactNumbers(e); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			if x[i], err = exactNumbers(e); err != nil {
				return nil, err
			}
		}
	case json.Number:
		d, _, err := apd.NewFromString(string(x))
		if err != nil {
			return nil, fmt.Errorf("number %s: %v", x, err)
		}
		return d, nil
	}
	return v, nil
}

// compile parses, checks and builds a template, caching the result by content.
func (e *Engine) compile(file, src string) (*compiled, *ErrorInfo) {
	if len(src) > MaxTemplateBytes {
		return nil, &ErrorInfo{Kind: KindLimit, ErrorItem: ErrorItem{File: file, Message: fmt.Sprintf(
			"%s is %d bytes, more than the %d allowed", file, len(src), MaxTemplateBytes)}}
	}
	key := sha256.Sum256([]byte(file + "\x00" + src))
	if c, ok := e.cache.get(key); ok {
		return c, nil
	}
	f, errInfo := parseTemplate(file, src)
	if errInfo != nil {
		return nil, errInfo
	}
	keys, strategies := patchAnnotations(f)
	if e.compiles >= compilesPerContext {
		e.reset()
	}
	e.compiles++
	v := e.ctx.BuildFile(f)
	if err := v.Err(); err != nil {
		return nil, toErrorInfo(KindEval, err, file)
	}
	c := &compiled{value: v, patchKeys: keys, patchStrategies: strategies}
	e.cache.put(key, c)
	return c, nil
}

// toErrorInfo converts CUE errors, preferring positions inside primaryFile so
// line and column point at the template rather than at the JSON inputs.
func toErrorInfo(kind ErrorKind, err error, primaryFile string) *ErrorInfo {
	list := cueerrors.Errors(err)
	if len(list) == 0 {
		return &ErrorInfo{Kind: kind, ErrorItem: ErrorItem{Message: err.Error(), File: primaryFile}}
	}
	info := &ErrorInfo{Kind: kind}
	for i, e := range list {
		if i == maxErrorItems {
			break
		}
		item := ErrorItem{Path: strings.Join(e.Path(), ".")}
		// Error() includes wrapped causes ("error in call to strings.Repeat:
		// count ... exceeds limit") that Msg() leaves out; drop its path prefix.
		item.Message = strings.TrimPrefix(e.Error(), item.Path+": ")
		if pos, ok := bestPosition(e, primaryFile); ok {
			item.File = pos.Filename()
			item.Line = pos.Line()
			item.Column = pos.Column()
		}
		info.Errors = append(info.Errors, item)
	}
	info.ErrorItem = info.Errors[0]
	return info
}

type position interface {
	Filename() string
	Line() int
	Column() int
	IsValid() bool
}

func bestPosition(e cueerrors.Error, primaryFile string) (position, bool) {
	candidates := []position{}
	if p := e.Position(); p.IsValid() {
		candidates = append(candidates, p)
	}
	for _, p := range cueerrors.Positions(e) {
		candidates = append(candidates, p)
	}
	for _, p := range e.InputPositions() {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if p.IsValid() && p.Filename() == primaryFile {
			return p, true
		}
	}
	for _, p := range candidates {
		if p.IsValid() {
			return p, true
		}
	}
	return nil, false
}

// Version reports the CUE module version linked into the binary.
func Version() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "cuelang.org/go" {
				return d.Version
			}
		}
	}
	return "unknown"
}

// labelName returns a field's name, or "" for dynamic labels and patterns.
func labelName(l ast.Label) string {
	name, _, err := ast.LabelName(l)
	if err != nil {
		return ""
	}
	return name
}
