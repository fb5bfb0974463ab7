package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	write := func(s string, fail bool) error {
		return Write(path, func(w io.Writer) error {
			io.WriteString(w, s)
			if fail {
				return errors.New("disk on fire")
			}
			return nil
		})
	}
	if err := write("first", false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content string
		fail    bool
		want    string
	}{
		{"a failed write keeps the old file", "second", true, "first"},
		{"a good write replaces it", "third", false, "third"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := write(tc.content, tc.fail)
			if tc.fail && (err == nil || !strings.Contains(err.Error(), path)) {
				t.Fatalf("err = %v, want one naming %s", err, path)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.want {
				t.Errorf("file holds %q, want %q", b, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%d files in the directory, want 1 (no temporary left behind)", len(entries))
			}
		})
	}
	if err := Write(filepath.Join(dir, "missing", "x"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory: no error")
	}
	if err := Write("", func(io.Writer) error { return nil }); err == nil {
		t.Error("writing to an empty path: no error")
	}
}

func writeString(path, s string) error {
	return Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	})
}

// TestWriteKeepsMode: replacing a file keeps its permission bits; a new
// file gets 0644.
func TestWriteKeepsMode(t *testing.T) {
	tests := []struct {
		name     string
		existing os.FileMode // 0: no file before
		want     os.FileMode
	}{
		{"new file", 0, 0o644},
		{"private file", 0o600, 0o600},
		{"group-writable file", 0o664, 0o664},
		{"executable", 0o755, 0o755},
		{"read-only file", 0o444, 0o444},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			if tc.existing != 0 {
				if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.existing); err != nil { // not subject to the umask
					t.Fatal(err)
				}
			}
			if err := writeString(path, "new"); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tc.want {
				t.Errorf("mode %v, want %v", got, tc.want)
			}
		})
	}
}

// TestWriteThroughSymlink: writing to a symbolic link replaces the file it
// points to, atomically and keeping its mode, and leaves the link a link.
func TestWriteThroughSymlink(t *testing.T) {
	tests := []struct {
		name string
		// setup makes the link(s) in dir and returns the path to write
		// and the file that must receive the data.
		setup func(t *testing.T, dir string) (link, target string)
	}{
		{"relative link", func(t *testing.T, dir string) (string, string) {
			mustSymlink(t, "real.txt", filepath.Join(dir, "link"))
			return filepath.Join(dir, "link"), filepath.Join(dir, "real.txt")
		}},
		{"absolute link into another directory", func(t *testing.T, dir string) (string, string) {
			other := filepath.Join(dir, "other")
			if err := os.Mkdir(other, 0o755); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, filepath.Join(other, "real.txt"), filepath.Join(dir, "link"))
			return filepath.Join(dir, "link"), filepath.Join(other, "real.txt")
		}},
		{"chain of links", func(t *testing.T, dir string) (string, string) {
			mustSymlink(t, "real.txt", filepath.Join(dir, "b"))
			mustSymlink(t, "b", filepath.Join(dir, "a"))
			return filepath.Join(dir, "a"), filepath.Join(dir, "real.txt")
		}},
		{"relative link through a linked directory", func(t *testing.T, dir string) (string, string) {
			// dir/d -> dir/x/y, and dir/x/y/link -> ../real.txt, which the
			// kernel resolves from dir/x/y: dir/x/real.txt.
			if err := os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, filepath.Join(dir, "x", "y"), filepath.Join(dir, "d"))
			mustSymlink(t, "../real.txt", filepath.Join(dir, "x", "y", "link"))
			return filepath.Join(dir, "d", "link"), filepath.Join(dir, "x", "real.txt")
		}},
	}
	for _, tc := range tests {
		for _, exists := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/target exists %v", tc.name, exists), func(t *testing.T) {
				dir := t.TempDir()
				link, target := tc.setup(t, dir)
				if exists {
					if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				if err := writeString(link, "new"); err != nil {
					t.Fatal(err)
				}
				if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					t.Fatalf("lstat %s = %v, %v; want it still a symbolic link", link, fi, err)
				}
				fi, err := os.Lstat(target)
				if err != nil || !fi.Mode().IsRegular() {
					t.Fatalf("lstat %s = %v, %v; want a regular file", target, fi, err)
				}
				if b, _ := os.ReadFile(target); string(b) != "new" {
					t.Errorf("%s holds %q, want %q", target, b, "new")
				}
				want := os.FileMode(0o644)
				if exists {
					want = 0o600
				}
				if fi.Mode().Perm() != want {
					t.Errorf("%s has mode %v, want %v", target, fi.Mode().Perm(), want)
				}
				noTemps(t, dir)
			})
		}
	}
	t.Run("failed write keeps the target and the link", func(t *testing.T) {
		dir := t.TempDir()
		link, target := filepath.Join(dir, "link"), filepath.Join(dir, "real.txt")
		mustSymlink(t, "real.txt", link)
		if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := Write(link, func(w io.Writer) error { return errors.New("disk on fire") })
		if err == nil || !strings.Contains(err.Error(), link) {
			t.Fatalf("err = %v, want one naming %s", err, link)
		}
		if b, _ := os.ReadFile(target); string(b) != "old" {
			t.Errorf("%s holds %q, want %q", target, b, "old")
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("lstat %s = %v, %v; want it still a symbolic link", link, fi, err)
		}
		noTemps(t, dir)
	})
	t.Run("loop", func(t *testing.T) {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		mustSymlink(t, "b", a)
		mustSymlink(t, "a", b)
		if err := writeString(a, "x"); err == nil || !strings.Contains(err.Error(), a) {
			t.Fatalf("err = %v, want one naming %s", err, a)
		}
		noTemps(t, dir)
	})
}

func mustSymlink(t *testing.T, oldname, newname string) {
	t.Helper()
	if err := os.Symlink(oldname, newname); err != nil {
		t.Fatal(err)
	}
}

// noTemps fails the test if a temporary file of this package is left
// anywhere under dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), tempMarker) {
			t.Errorf("temporary file %s left behind", path)
		}
		return nil
	})
}

const childEnv = "ATOMICFILE_TEST_KILLED_WRITER"

// TestMain lets the test binary act as a writer that is killed mid-write
// (see killedWriter).
func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		err := Write(path, func(w io.Writer) error {
			io.WriteString(w, "half of a new file")
			fmt.Println("writing")
			select {} // wait to be killed
		})
		fmt.Println(err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// killedWriter starts a process that begins writing path with Write and
// kills it with SIGKILL in the middle, as an out-of-memory killer would. It
// returns the dead process's id.
func killedWriter(t *testing.T, path string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "writing\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the writer said %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return cmd.Process.Pid
}

// TestStaleTemporariesAreRemoved: a writer killed mid-write leaves its
// temporary file behind; the next Write of the same path removes it once
// it is old enough, and leaves alone what may still be in use or is not
// one of its own.
func TestStaleTemporariesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.bin")
	if err := writeString(path, "old"); err != nil {
		t.Fatal(err)
	}
	dead := killedWriter(t, path)
	left, err := filepath.Glob(filepath.Join(dir, ".ckpt.bin"+tempMarker+"*"))
	if err != nil || len(left) != 1 {
		t.Fatalf("the killed writer left %v (%v), want one temporary file", left, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after the kill the file holds %q, want %q", b, "old")
	}
	if want := fmt.Sprintf(".ckpt.bin%s%d-", tempMarker, dead); !strings.HasPrefix(filepath.Base(left[0]), want) {
		t.Fatalf("temporary file %s does not start with %s", left[0], want)
	}
	if err := os.Rename(left[0], filepath.Join(dir, fmt.Sprintf(".ckpt.bin%s%d-1.tmp", tempMarker, dead))); err != nil {
		t.Fatal(err)
	}

	alive := os.Getppid() // the go command, or whatever ran the tests
	tests := []struct {
		name    string
		file    string
		age     time.Duration
		removed bool
	}{
		{"killed writer's, a few minutes old", fmt.Sprintf(".ckpt.bin%s%d-1.tmp", tempMarker, dead), 5 * time.Minute, true},
		{"dead writer's, just written", fmt.Sprintf(".ckpt.bin%s%d-2.tmp", tempMarker, dead), 10 * time.Second, false},
		{"live writer's, a few minutes old", fmt.Sprintf(".ckpt.bin%s%d-3.tmp", tempMarker, alive), 5 * time.Minute, false},
		{"this process's, a few minutes old", fmt.Sprintf(".ckpt.bin%s%d-4.tmp", tempMarker, os.Getpid()), 5 * time.Minute, false},
		{"live writer's, two days old", fmt.Sprintf(".ckpt.bin%s%d-5.tmp", tempMarker, alive), 48 * time.Hour, true},
		{"another file's", fmt.Sprintf(".other.bin%s%d-6.tmp", tempMarker, dead), 48 * time.Hour, false},
		{"a file whose name extends this one's", fmt.Sprintf(".ckpt.bin.x%s%d-7.tmp", tempMarker, dead), 48 * time.Hour, false},
		{"not named like ours", ".ckpt.bin.tmp123", 48 * time.Hour, false},
		{"odd suffix", fmt.Sprintf(".ckpt.bin%s%d-8.tmp.keep", tempMarker, dead), 48 * time.Hour, false},
		{"no process id", ".ckpt.bin" + tempMarker + "-9.tmp", 48 * time.Hour, false},
	}
	now := time.Now()
	for _, tc := range tests {
		p := filepath.Join(dir, tc.file)
		if tc.file != fmt.Sprintf(".ckpt.bin%s%d-1.tmp", tempMarker, dead) {
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(p, now.Add(-tc.age), now.Add(-tc.age)); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeString(path, "new"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("the file holds %q, want %q", b, "new")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := os.Lstat(filepath.Join(dir, tc.file))
			if removed := errors.Is(err, os.ErrNotExist); removed != tc.removed {
				t.Errorf("%s: removed %v, want %v (%v)", tc.file, removed, tc.removed, err)
			}
		})
	}
}
