//go:build js && wasm

// Command cue-wasm exposes the render engine to JavaScript. It registers
//
//	cueRender(requestJSON: string): string   // see engine.Request / engine.Response
//	cueEngineInfo(): string                  // {"cueVersion", "goVersion", "maxTemplateBytes", ...}
//
// on globalThis and then blocks forever so the Go runtime (and the engine's
// caches) stay alive between calls.
//
// Calls are synchronous and CUE offers no way to interrupt an evaluation, so
// a pathological template blocks the calling thread until it finishes. The
// TypeScript wrapper therefore runs this module in a worker thread and kills
// the worker when a render exceeds its deadline.
package main

import (
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"
	"syscall/js"

	"rollscale/cuelang-wasm/engine"
)

func main() {
	// A render allocates a few hundred KiB and keeps almost nothing, and in
	// wasm the collector runs on the only thread, inside the render. Collecting
	// at 4x the live heap instead of 2x measurably shortens renders; the live
	// heap (compiled templates) stays in the tens of MiB.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	e := engine.New()
	js.Global().Set("cueRender", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 || args[0].Type() != js.TypeString {
			return `{"ok":false,"error":{"kind":"request","message":"cueRender expects one JSON string argument"}}`
		}
		return e.Handle(args[0].String())
	}))
	js.Global().Set("cueEngineInfo", js.FuncOf(func(js.Value, []js.Value) any {
		b, _ := json.Marshal(map[string]any{
			"cueVersion":       engine.Version(),
			"goVersion":        runtime.Version(),
			"maxTemplateBytes": engine.MaxTemplateBytes,
			"maxInputBytes":    engine.MaxInputBytes,
			"allowedImports":   engine.AllowedImports(),
		})
		return string(b)
	}))
	select {}
}
