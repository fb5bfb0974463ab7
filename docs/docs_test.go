// Package docs_test compiles every Go code block of the README and of the
// guides in docs/, so that the documentation cannot drift from the API.
package docs_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// snippet is one fenced Go block of a Markdown file.
type snippet struct {
	file string // the Markdown file, relative to the repository root
	line int    // the line of the opening fence, 1-based
	code string // the block's text, ending in a newline
	pkg  string // the package directory it is built as, relative to the root
}

// fence matches the opening fence of a Go block.
var fence = regexp.MustCompile("^```(go|golang)\\s*$")

// extract returns the Go blocks of the Markdown file at root/rel.
func extract(root, rel string) ([]snippet, error) {
	f, err := os.Open(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		out   []snippet
		inGo  bool
		other bool // inside a fence of another language
		start int
		body  strings.Builder
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		switch {
		case inGo && strings.TrimSpace(text) == "```":
			out = append(out, snippet{file: rel, line: start, code: body.String()})
			inGo = false
			body.Reset()
		case inGo:
			body.WriteString(text)
			body.WriteByte('\n')
		case other && strings.HasPrefix(strings.TrimSpace(text), "```"):
			other = false
		case fence.MatchString(strings.TrimSpace(text)):
			inGo, start = true, n
		case strings.HasPrefix(strings.TrimSpace(text), "```"):
			other = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if inGo {
		return nil, fmt.Errorf("%s:%d: a ```go block is not closed", rel, start)
	}
	return out, nil
}

// packageName returns the name a Markdown file's blocks are built under:
// README.md gives readme, docs/getting-started.md gives getting_started.
func packageName(rel string) string {
	base := strings.TrimSuffix(filepath.Base(rel), filepath.Ext(rel))
	base = strings.ToLower(base)
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, base)
}

// firstCodeLine returns the first line of code that is neither blank nor a
// comment.
func firstCodeLine(code string) string {
	for _, l := range strings.Split(code, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "//") {
			continue
		}
		return l
	}
	return ""
}

// TestCodeBlocksCompile builds every ```go block of README.md and
// docs/*.md as a program of its own, in one go build, through an overlay
// that places each one in a package directory of the module that exists
// only for the build (docs/internal/snippets/NAME_N).
func TestCodeBlocksCompile(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH, so the code blocks cannot be compiled:", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	guides, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(guides)
	files := []string{"README.md"}
	for _, g := range guides {
		rel, err := filepath.Rel(root, g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}

	var all []snippet
	for _, rel := range files {
		blocks, err := extract(root, rel)
		if err != nil {
			t.Fatal(err)
		}
		for i := range blocks {
			blocks[i].pkg = fmt.Sprintf("docs/internal/snippets/%s_%d", packageName(rel), i+1)
		}
		all = append(all, blocks...)
	}
	if len(all) == 0 {
		t.Fatal("no ```go blocks found in README.md and docs/*.md")
	}

	tmp := t.TempDir()
	overlay := struct{ Replace map[string]string }{Replace: map[string]string{}}
	byPkg := map[string]snippet{}  // by package directory
	byFile := map[string]snippet{} // by the file names the compiler may print
	ok := true
	for i, s := range all {
		if first := firstCodeLine(s.code); first != "package main" {
			t.Errorf("%s:%d: a ```go block must be a whole program starting with \"package main\", not %q", s.file, s.line, first)
			ok = false
			continue
		}
		if formatted, err := format.Source([]byte(s.code)); err == nil && !bytes.Equal(formatted, []byte(s.code)) {
			t.Errorf("%s:%d: the block is not gofmt-formatted", s.file, s.line)
		}
		src := filepath.Join(tmp, strconv.Itoa(i)+".go")
		if err := os.WriteFile(src, []byte(s.code), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay.Replace[filepath.Join(root, filepath.FromSlash(s.pkg), "main.go")] = src
		byPkg[s.pkg] = s
		byFile[src] = s
		byFile[s.pkg+"/main.go"] = s
	}
	if !ok {
		return
	}
	ov, err := json.Marshal(overlay)
	if err != nil {
		t.Fatal(err)
	}
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}

	// Given several packages, go build compiles them and links nothing;
	// given one program it would write the binary into the source tree, so
	// then -o sends it to the temporary directory.
	args := []string{"build", "-overlay", ovPath}
	if len(all) == 1 {
		args = append(args, "-o", filepath.Join(tmp, "bin")+string(filepath.Separator))
	}
	for _, s := range all {
		args = append(args, "./"+s.pkg)
	}
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Logf("compiled %d code blocks from %d files", len(all), len(files))
		return
	}
	t.Errorf("go build of the code blocks failed: %v", err)
	for _, msg := range locate(string(out), byPkg, byFile) {
		t.Error(msg)
	}
}

// position matches a compiler position: a Go file, a line and maybe a column.
var position = regexp.MustCompile(`(?:\./)?([^\s:]+\.go):(\d+)(?::(\d+))?`)

// locate rewrites the compiler's output so that each position inside a
// snippet names the Markdown file and line instead, and each package
// header the block it was built from.
func locate(out string, byPkg, byFile map[string]snippet) []string {
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		l = position.ReplaceAllStringFunc(l, func(m string) string {
			p := position.FindStringSubmatch(m)
			s, ok := byFile[p[1]]
			if !ok {
				return m
			}
			n, _ := strconv.Atoi(p[2])
			loc := fmt.Sprintf("%s:%d", s.file, s.line+n)
			if p[3] != "" {
				loc += ":" + p[3]
			}
			return loc
		})
		if name, ok := strings.CutPrefix(l, "# "); ok {
			if s, ok := byPkg[strings.TrimPrefix(name, "github.com/gocnn/cnn/")]; ok {
				l = fmt.Sprintf("# the block at %s:%d", s.file, s.line)
			}
		}
		msgs = append(msgs, l)
	}
	return msgs
}
