// The go.mod with which install.sh builds gophernotes v0.7.5, in place of
// the module's own: golang.org/x/tools v0.39.0 rather than v0.1.8, whose
// go/types/typeutil panics on the aliases of Go 1.23 and later, and gomacro
// replaced by the patched copy next to gophernotes. kernel.sum is its go.sum.
module github.com/gopherdata/gophernotes

go 1.24.0

require (
	github.com/cosmos72/gomacro v0.0.0-20220530072503-c719ab5c40fc
	github.com/go-zeromq/zmq4 v0.14.1
	github.com/gofrs/uuid v4.2.0+incompatible
)

require (
	github.com/go-zeromq/goczmq/v4 v4.2.2 // indirect
	github.com/mattn/go-runewidth v0.0.13 // indirect
	github.com/peterh/liner v1.2.1 // indirect
	github.com/rivo/uniseg v0.2.0 // indirect
	golang.org/x/mod v0.30.0 // indirect
	golang.org/x/sync v0.18.0 // indirect
	golang.org/x/tools v0.39.0 // indirect
)

replace github.com/cosmos72/gomacro => ../gomacro
