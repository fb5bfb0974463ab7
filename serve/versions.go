package serve

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	"github.com/prometheus/client_golang/prometheus"
)

// States of a model version, as TensorFlow Serving's model_version_status
// names them.
const (
	// StateAvailable is a version that serves requests.
	StateAvailable = "AVAILABLE"
	// StateEnd is a version that failed to load; its status says why.
	StateEnd = "END"
)

// ModelFile is the name of the model file that a version folder of the
// model directory holds; a folder without one may hold a single *.gocnn
// file of another name instead.
const ModelFile = "model.gocnn"

// ModelDir serves every model under dir, laid out as TensorFlow
// Serving's base paths are: dir/NAME/VERSION/ModelFile (or the one *.gocnn
// file of the folder), VERSION a positive decimal number. Every version
// found is loaded (by the Loader, Load by default), checked with a
// predict of zeros, and served at
// /v1/models/NAME/versions/VERSION; /v1/models/NAME serves the highest
// one. Versions that fail to load are logged and listed with their error
// in the model's status; the others go on serving. Write a new version's
// file elsewhere and rename it into place, or it may be read half
// written (it is then retried once its size or time changes). An empty dir
// means none.
func ModelDir(dir string) Option { return func(c *config) { c.modelDir = dir } }

// Poll sets how often the model directory is read again for new and
// removed versions (default 0: never, but Reload may be called), as
// TensorFlow Serving's --file_system_poll_wait_seconds does. A new version
// is loaded, checked and swapped in atomically: requests in flight finish
// on the version they started on, and none is dropped. A removed version
// stops taking requests at once and is unloaded once those in flight have
// finished. A version already loaded is not read again when its file
// changes: give the new model a new version.
func Poll(d time.Duration) Option { return func(c *config) { c.poll = d } }

// entry is a model name's versions. It is guarded by Server.mu.
type entry struct {
	name     string
	fromDir  bool               // its versions come and go with the model directory
	versions map[int64]*served  // the available versions
	status   map[int64]*verStat // every version known, available or failed
	latest   *served            // the highest available version, or nil
}

// verStat is what is known of a version: its state, error and the file it
// was loaded from (its size and time, to retry a failed one that changes).
type verStat struct {
	state string
	err   string
	file  fileID
}

// fileID identifies a version's model file as it was read.
type fileID struct {
	path string
	size int64
	mod  time.Time
}

// setLatest points e.latest at the highest available version.
func (e *entry) setLatest() {
	e.latest = nil
	for v, sv := range e.versions {
		if e.latest == nil || v > e.latest.version {
			e.latest = sv
		}
	}
}

// versionList returns e's known versions, highest first.
func (e *entry) versionList() []int64 {
	vs := make([]int64, 0, len(e.status))
	for v := range e.status {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	slices.Reverse(vs)
	return vs
}

// acquire returns the version of model name to serve a request (version
// 0: the highest available), which the caller must release, or an error
// for the client, with 404 for an unknown model or version and 503 for a
// known version that is not available.
func (s *Server) acquire(name string, version int64) (*served, int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.models[name]
	if !ok {
		return nil, 404, errors.Errorf("unknown model %q; this server has %s", name, strings.Join(s.order, ", "))
	}
	sv := e.latest
	if version != 0 {
		sv = e.versions[version]
	}
	if sv == nil {
		var have []string
		for _, v := range e.versionList() {
			if e.status[v].state == StateAvailable {
				have = append(have, strconv.FormatInt(v, 10))
			}
		}
		if version == 0 {
			return nil, 503, errors.Errorf("model %s has no version available", name)
		}
		if st, ok := e.status[version]; ok {
			return nil, 503, errors.Errorf("model %s version %d is not available: %s", name, version, st.err)
		}
		return nil, 404, errors.Errorf("model %s has no version %d; its available versions are [%s]", name, version, strings.Join(have, ", "))
	}
	sv.users.Add(1) // under mu: unload cannot have begun waiting
	return sv, 0, nil
}

// release ends a request's use of a version acquire returned.
func (sv *served) release() { sv.users.Done() }

// Reload reads the model directory (ModelDir) once: it loads the
// versions that are new, or that failed and whose file has changed since,
// and unloads those that have gone. It returns an error only when the
// directory cannot be read, and then changes nothing; versions that fail
// to load are logged and listed in their model's status. Reload is safe
// to call from any goroutine, also while requests are served and while
// the directory is polled; calls run one at a time.
func (s *Server) Reload() error {
	if s.cfg.modelDir == "" {
		return errors.New("serve: no model directory to reload")
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	found, err := scanModelDir(s.cfg.modelDir)
	if err != nil {
		s.cfg.logger.Error("reading the model directory", "dir", s.cfg.modelDir, "err", errStack(err))
		return err
	}
	names := make([]string, 0, len(found))
	for name := range found {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		s.mu.RLock()
		e := s.models[name]
		s.mu.RUnlock()
		if e != nil && !e.fromDir {
			s.cfg.logger.Error("a model of the model directory has the name of a model given on its own; it is not served", "name", name, "dir", s.cfg.modelDir)
			continue
		}
		vs := found[name]
		versions := make([]int64, 0, len(vs))
		for v := range vs {
			versions = append(versions, v)
		}
		slices.Sort(versions)
		for _, v := range versions {
			s.loadVersion(name, v, vs[v])
		}
	}
	// Unload what has gone.
	s.mu.Lock()
	var gone []*served
	for name, e := range s.models {
		if !e.fromDir {
			continue
		}
		for v := range e.status {
			if _, ok := found[name][v]; ok {
				continue
			}
			if sv := e.versions[v]; sv != nil {
				gone = append(gone, sv)
				delete(e.versions, v)
			}
			delete(e.status, v)
			s.cfg.logger.Info("model version removed", "name", name, "version", v)
		}
		e.setLatest()
		if len(e.status) == 0 {
			delete(s.models, name)
			s.order = slices.DeleteFunc(s.order, func(n string) bool { return n == name })
		}
	}
	s.mu.Unlock()
	for _, sv := range gone {
		s.unloads.Add(1)
		go func() {
			defer s.unloads.Done()
			sv.users.Wait() // the requests in flight on it finish
			s.closeServed(sv)
		}()
	}
	return nil
}

// loadVersion loads version v of model name from the file found, unless
// it is loaded already or failed on the same file, checks it with a
// predict of zeros and swaps it in, or records why it failed.
func (s *Server) loadVersion(name string, v int64, found fileID) {
	s.mu.RLock()
	var st *verStat
	if e := s.models[name]; e != nil {
		st = e.status[v]
	}
	s.mu.RUnlock()
	if st != nil && (st.state == StateAvailable || st.file == found) {
		return
	}
	sv, err := s.loadChecked(name, v, found)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.models[name]
	if e == nil {
		e = &entry{name: name, fromDir: true, versions: map[int64]*served{}, status: map[int64]*verStat{}}
		s.models[name] = e
		s.order = append(s.order, name)
	}
	if err != nil {
		e.status[v] = &verStat{state: StateEnd, err: err.Error(), file: found}
		s.cfg.logger.Error("loading a model version failed; the other versions go on serving", "name", name, "version", v,
			"file", found.path, "err", errStack(err))
		return
	}
	e.status[v] = &verStat{state: StateAvailable, file: found}
	e.versions[v] = sv
	e.setLatest()
	s.cfg.logger.Info("model version loaded", "name", name, "version", v, "file", found.path, "latest", e.latest.version)
}

// loadChecked loads a version's file and checks it with a predict of zeros
// of its input shape.
func (s *Server) loadChecked(name string, v int64, found fileID) (*served, error) {
	if found.path == "" {
		return nil, errors.Errorf("no %s or other *.gocnn file in the version folder", ModelFile)
	}
	m, err := s.cfg.loader(found.path, name)
	if err != nil {
		return nil, err
	}
	if m == nil || m.Net == nil || m.Name != name {
		return nil, errors.Errorf("the Loader gave no model named %s for %s", name, found.path)
	}
	sv, err := s.newServed(m, v)
	if err != nil {
		return nil, err
	}
	size := 1
	for _, d := range m.Net.InputShape(0) {
		size *= d
	}
	y, err := safePredict(m.Net.Predict, make([]float32, size))
	if err == nil && len(y) != m.Net.OutputSize() {
		err = errors.Errorf("predict returned %d values, not the %d outputs", len(y), m.Net.OutputSize())
	}
	if err != nil {
		s.closeServed(sv)
		return nil, errors.Wrap(err, "the warm-up predict of zeros")
	}
	return sv, nil
}

// scanModelDir lists the versions under dir: NAME/VERSION/ folders, each
// with its model file (path "" where there is none, or several *.gocnn
// files and no ModelFile). Names that cannot be served and folders that
// are not positive numbers are skipped.
func scanModelDir(dir string) (map[string]map[int64]fileID, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrap(err, "reading the model directory")
	}
	found := map[string]map[int64]fileID{}
	for _, n := range names {
		if !n.IsDir() || checkName(n.Name()) != nil || strings.HasPrefix(n.Name(), ".") {
			continue
		}
		vdirs, err := os.ReadDir(filepath.Join(dir, n.Name()))
		if err != nil {
			return nil, errors.Wrapf(err, "reading model %s", n.Name())
		}
		for _, vd := range vdirs {
			v, err := strconv.ParseInt(vd.Name(), 10, 64)
			if !vd.IsDir() || err != nil || v < 1 || strconv.FormatInt(v, 10) != vd.Name() {
				continue
			}
			if found[n.Name()] == nil {
				found[n.Name()] = map[int64]fileID{}
			}
			found[n.Name()][v] = versionFile(filepath.Join(dir, n.Name(), vd.Name()))
		}
	}
	return found, nil
}

// versionFile identifies the model file of a version folder: ModelFile,
// or the folder's only *.gocnn file; the zero fileID if there is none.
func versionFile(dir string) fileID {
	path := filepath.Join(dir, ModelFile)
	if _, err := os.Stat(path); err != nil {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.gocnn"))
		if len(matches) != 1 {
			return fileID{}
		}
		path = matches[0]
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return fileID{}
	}
	return fileID{path: path, size: fi.Size(), mod: fi.ModTime()}
}

// poll reloads the model directory every interval until ctx is done.
func (s *Server) poll(ctx context.Context, interval time.Duration) {
	defer s.unloads.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Reload() // logs its errors
		}
	}
}

// labels are a version's metric labels.
func (sv *served) labels() []string { return []string{sv.Name, strconv.FormatInt(sv.version, 10)} }

// deleteSeries drops a version's series from the per-model metrics once
// it is unloaded.
func (s *Server) deleteSeries(sv *served) {
	l := prometheus.Labels{"model": sv.Name, "version": strconv.FormatInt(sv.version, 10)}
	s.batches.DeletePartialMatch(l)
	s.queue.DeletePartialMatch(l)
	s.modelRequests.DeletePartialMatch(l)
	s.modelErrors.DeletePartialMatch(l)
	s.modelLatency.DeletePartialMatch(l)
}

// closeServed stops a version's batcher and drops its series.
func (s *Server) closeServed(sv *served) {
	if sv.batch != nil {
		sv.batch.close()
	}
	s.deleteSeries(sv)
}
