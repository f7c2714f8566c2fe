//go:build tools

// Package tools pins KWOK, which stands in for kubelets on the local cluster's fake nodes.
// It is built with `go build sigs.k8s.io/kwok/cmd/kwok` from this module.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
