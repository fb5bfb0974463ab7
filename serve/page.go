package serve

import (
	"embed"
	"net/http"

	"github.com/pkg/errors"
)

// static holds the page: one HTML file with its styles and script, so
// that it loads nothing from elsewhere.
//
//go:embed static/index.html
var static embed.FS

// servePage serves the drawing page at /, and 404 for other paths.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, errors.Errorf("no such endpoint %s", r.URL.Path))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, errors.Errorf("method %s not allowed; use GET", r.Method))
		return
	}
	b, err := static.ReadFile("static/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, errors.Wrap(err, "reading the embedded page"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data: blob:")
	w.Write(b)
}
