package engine

// Native tests of the engine (no wasm needed): `cd cuelang-wasm/go && go test ./engine`.
// The TypeScript tests in cuelang-wasm/*.test.ts exercise the same behaviour
// through the wasm build.

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type decoded struct {
	OK     bool           `json:"ok"`
	Result map[string]any `json:"result"`
	Error  *ErrorInfo     `json:"error"`
}

func handle(t *testing.T, e *Engine, req map[string]any) decoded {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out := e.Handle(string(b))
	var d decoded
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("response is not JSON: %s", out)
	}
	return d
}

var seedContext = map[string]any{
	"name": "express-server", "namespace": "default", "appName": "rollout-trait-test",
	"appRevision": "rollout-trait-test-v1", "revision": "express-server-v1",
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestRenderWebservice(t *testing.T) {
	d := handle(t, New(), map[string]any{
		"template":  fixture(t, "webservice.cue"),
		"parameter": map[string]any{"image": "stefanprodan/podinfo:4.0.3", "ports": []any{map[string]any{"port": 9898, "expose": true}}},
		"context":   seedContext,
	})
	if !d.OK {
		t.Fatalf("render failed: %+v", d.Error)
	}
	if got := dig(d.Result, "output", "metadata", "name"); got != "express-server" {
		t.Errorf("output.metadata.name = %v", got)
	}
	if got := dig(d.Result, "outputs", "service", "spec", "type"); got != "ClusterIP" {
		t.Errorf("outputs.service.spec.type = %v", got)
	}
}

func TestErrorsCarryKindAndPosition(t *testing.T) {
	cases := []struct {
		name, template string
		parameter      any
		kind           ErrorKind
		path           string
		line, column   int
	}{
		{"type conflict", "parameter: image: string\noutput: image: parameter.image\n", map[string]any{"image": 42}, KindEval, "parameter.image", 1, 19},
		{"syntax", "output: {\n  a: 1\n  b: \n}\n", nil, KindSyntax, "", 4, 1},
		{"unclosed brace", "output: {\n  a: 1\n", nil, KindSyntax, "", 3, 1},
		{"tool import", "import \"tool/exec\"\noutput: {}\n", nil, KindImport, "", 1, 8},
		{"module import", "import \"example.com/x\"\noutput: {}\n", nil, KindImport, "", 1, 8},
		{"net import", "import \"net\"\noutput: {}\n", nil, KindImport, "", 1, 8},
		{"extern", "@extern(embed)\n\noutput: {}\n", nil, KindImport, "", 1, 1},
		{"incomplete", "output: {\n  replicas: int\n}\n", nil, KindIncomplete, "output.replicas", 2, 13},
		{"unknown reference", "output: name: foo.name\n", nil, KindEval, "output.name", 1, 15},
	}
	e := New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := handle(t, e, map[string]any{"template": c.template, "parameter": c.parameter})
			if d.OK || d.Error == nil {
				t.Fatalf("expected an error, got %v", d.Result)
			}
			got := d.Error
			if got.Kind != c.kind || got.Path != c.path || got.Line != c.line || got.Column != c.column {
				t.Errorf("got kind=%s path=%q %d:%d (%s), want kind=%s path=%q %d:%d",
					got.Kind, got.Path, got.Line, got.Column, got.Message, c.kind, c.path, c.line, c.column)
			}
		})
	}
}

func TestAllowedImportWorks(t *testing.T) {
	d := handle(t, New(), map[string]any{
		"template": "import \"strings\"\noutput: name: strings.ToUpper(context.name)\n", "context": seedContext,
	})
	if !d.OK || dig(d.Result, "output", "name") != "EXPRESS-SERVER" {
		t.Fatalf("got %+v %+v", d.Result, d.Error)
	}
}

func TestPatchAnnotations(t *testing.T) {
	tpl := `patch: spec: template: spec: {
	// +patchKey=name
	containers: [{
		name: context.name
		// +patchKey=name
		// +patchStrategy=retainKeys
		env: [{name: "A", value: parameter.a}]
	}]
	if parameter.a != "" {
		// +patchKey=mountPath
		volumeMounts: []
	}
}
other: {
	// +patchKey=ignored
	list: []
}
parameter: a: string
`
	d := handle(t, New(), map[string]any{"template": tpl, "parameter": map[string]any{"a": "x"}, "context": seedContext})
	if !d.OK {
		t.Fatalf("render failed: %+v", d.Error)
	}
	wantKeys := map[string]any{
		"spec.template.spec.containers":       "name",
		"spec.template.spec.containers[].env": "name",
		"spec.template.spec.volumeMounts":     "mountPath",
	}
	if got := d.Result["patchKeys"]; !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("patchKeys = %v, want %v", got, wantKeys)
	}
	if got := d.Result["patchStrategies"]; !reflect.DeepEqual(got, map[string]any{"spec.template.spec.containers[].env": "retainKeys"}) {
		t.Errorf("patchStrategies = %v", got)
	}
}

func TestStatus(t *testing.T) {
	e := New()
	live := func(ready int) map[string]any {
		return map[string]any{"output": map[string]any{"spec": map[string]any{"replicas": 3}, "status": map[string]any{"readyReplicas": ready}}}
	}
	for _, c := range []struct {
		ready   int
		healthy bool
		message string
	}{{2, false, "Ready:2/3"}, {3, true, "Ready:3/3"}} {
		d := handle(t, e, map[string]any{
			"mode": "status", "healthPolicy": fixture(t, "webservice.health.cue"),
			"customStatus": fixture(t, "webservice.status.cue"), "context": live(c.ready),
		})
		if !d.OK || d.Result["isHealth"] != c.healthy || d.Result["message"] != c.message {
			t.Errorf("ready=%d: got %v %+v", c.ready, d.Result, d.Error)
		}
	}
}

func TestTemplateSizeCap(t *testing.T) {
	d := handle(t, New(), map[string]any{"template": "output: {}\n" + strings.Repeat("//", MaxTemplateBytes)})
	if d.OK || d.Error.Kind != KindLimit {
		t.Fatalf("got %+v", d.Error)
	}
}

func BenchmarkRenderWebservice(b *testing.B) {
	e := New()
	req, _ := json.Marshal(map[string]any{
		"template":  fixture(b, "webservice.cue"),
		"parameter": map[string]any{"image": "stefanprodan/podinfo:4.0.3"},
		"context":   seedContext,
	})
	for b.Loop() {
		e.Handle(string(req))
	}
}

// BenchmarkSeedComponent renders what bench/cue.ts renders: the webservice
// workload, then the rollout trait with the workload as context.output.
func BenchmarkSeedComponent(b *testing.B) {
	e := New()
	ws, ro := fixture(b, "webservice.cue"), fixture(b, "rollout.cue")
	trait := map[string]any{"targetSize": 5, "rolloutBatches": []any{map[string]any{"replicas": 2}, map[string]any{"replicas": 3}}}
	for b.Loop() {
		req, _ := json.Marshal(map[string]any{"template": ws, "parameter": map[string]any{"image": "stefanprodan/podinfo:4.0.3"}, "context": seedContext})
		var d struct {
			Result struct{ Output json.RawMessage }
		}
		if err := json.Unmarshal([]byte(e.Handle(string(req))), &d); err != nil {
			b.Fatal(err)
		}
		ctx := map[string]any{"output": d.Result.Output}
		for k, v := range seedContext {
			ctx[k] = v
		}
		req, _ = json.Marshal(map[string]any{"template": ro, "parameter": trait, "context": ctx})
		e.Handle(string(req))
	}
}
