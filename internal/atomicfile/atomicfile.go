// Package atomicfile writes files atomically: to a temporary file in the
// same directory, synced to disk, then renamed over the target. A reader
// sees the old file or the new one, never half of one, and a failed write
// leaves the old file as it was.
//
// Replacing a file keeps its permission bits; a new file gets 0644. When
// the path is a symbolic link (or a chain of them), the file it points to
// is replaced and the link is kept.
//
// # Temporary files
//
// The temporary file of a write to dir/name is dir/.name.atomicfile-PID-N.tmp,
// where PID is the writing process's id and N is random. A process killed in
// the middle of a write (SIGKILL, out of memory, power loss) leaves it
// behind. Every Write of dir/name first removes such leftovers of dir/name
// (and of nothing else), when either
//
//   - the process that created it is gone and the file has not been
//     modified for a minute, or
//   - the file has not been modified for a day (its process id was reused,
//     or it came from another machine sharing the directory).
//
// The minute spares a write still under way in a process that this one
// cannot see (another PID namespace or machine sharing the directory); the
// check of the process is made with signal 0 where the system has it, and
// elsewhere only the second rule applies. Removal is best effort: a
// leftover that cannot be removed does not fail the write.
//
// github.com/google/renameio/v2 was considered and not used: it names its
// temporary files .name followed by digits, which cannot be told apart
// safely from a user's files nor says which process made them, so the
// cleanup above could not be built on it; it does not follow symbolic
// links; and what it would otherwise do for us (create, sync, rename) is
// the few lines below.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
)

const (
	// tempMarker follows ".name" in the names of temporary files.
	tempMarker = ".atomicfile-"
	// newFileMode is the mode of a file that did not exist before.
	newFileMode os.FileMode = 0o644
	// deadAfter is how long a dead process's temporary file is left alone.
	deadAfter = time.Minute
	// staleAfter is how long any temporary file is left alone.
	staleAfter = 24 * time.Hour
	// maxLinks is how many symbolic links a path may go through.
	maxLinks = 40
)

// Write creates or replaces path with what fn writes. Errors name path.
func Write(path string, fn func(w io.Writer) error) error {
	if path == "" {
		return errors.New("atomicfile: empty path")
	}
	target, err := resolve(path)
	if err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	return errors.Wrapf(write(target, fn), "writing %s", path)
}

func write(path string, fn func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	removeStale(dir, base, time.Now())
	mode := newFileMode
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = fn(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// resolve follows path through symbolic links to the file they point to,
// which need not exist. Relative links are read from the real directory
// of the link, as the kernel reads them.
func resolve(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			// Not a link, or nothing there: write here (a missing
			// directory is reported by the write).
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dir, err := filepath.EvalSymlinks(filepath.Dir(path))
			if err != nil {
				return "", err
			}
			dest = filepath.Join(dir, dest)
		}
		path = dest
	}
	return "", errors.Errorf("more than %d symbolic links", maxLinks)
}

// tempPrefix is how the names of base's temporary files begin.
func tempPrefix(base string) string { return "." + base + tempMarker }

// tempPID returns the process id in name if name is a temporary file's
// name for the prefix: prefix, digits, "-", digits, ".tmp".
func tempPID(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, ".tmp")
	if !ok {
		return 0, false
	}
	pid, random, ok := strings.Cut(rest, "-")
	if !ok || !allDigits(pid) || !allDigits(random) {
		return 0, false
	}
	n, err := strconv.Atoi(pid)
	return n, err == nil && n > 0
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// removeStale removes the leftover temporary files of dir/base (see the
// package documentation), ignoring errors.
func removeStale(dir, base string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		pid, ok := tempPID(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		idle := now.Sub(fi.ModTime())
		if idle >= staleAfter || (idle >= deadAfter && pid != os.Getpid() && !processAlive(pid)) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
