//go:build tools

// Package tools pins OpenKruise's kruise-manager (the module root is its main package), so
// CloneSets on the local cluster get a real controller. Built with
// `go build github.com/openkruise/kruise` from this module.
package tools

import _ "github.com/openkruise/kruise"
