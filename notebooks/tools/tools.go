//go:build tools

// Package tools pins the versions of the programs that run the notebooks:
// the GoNB Jupyter kernel and goimports, which GoNB calls on every cell.
// run.sh builds both from this module, so the versions come from go.mod
// here rather than from whatever "@latest" resolves to.
package tools

import (
	_ "github.com/janpfeifer/gonb"
	_ "golang.org/x/tools/cmd/goimports"
)
