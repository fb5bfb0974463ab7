// The go.mod of this folder, which holds notebooks and no Go code. Its
// replace line tells the gophernotes kernel (built by install.sh, with our
// gomacro patch) where github.com/gocnn/cnn is on disk: the notebooks import
// the library by its module path, "github.com/gocnn/cnn/layers", and get
// this checkout, uncommitted changes included, rather than a download. A
// folder of notebooks of one's own takes a go.mod like this one, its replace
// line pointing at one's copy of the repository (see ../README.md).
module gocnn.local/notebooks

go 1.26

replace github.com/gocnn/cnn => ../..
