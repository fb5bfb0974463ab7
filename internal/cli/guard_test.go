package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
)

// Environment of a child process that runs main instead of the tests:
// MNIST_TEST_MAIN=1 runs it, MNIST_TEST_BLOCK=phase makes that phase hang.
const (
	envMain  = "MNIST_TEST_MAIN"
	envBlock = "MNIST_TEST_BLOCK"
)

func TestMain(m *testing.M) {
	if os.Getenv(envMain) == "1" {
		if phase := os.Getenv(envBlock); phase != "" {
			testHook = func(p string) {
				if p == phase {
					fmt.Fprintln(os.Stderr, "test: blocked in", p)
					time.Sleep(time.Hour) // a phase that never ends by itself
				}
			}
		}
		os.Exit(Main(MNIST, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// hangGuard bounds every wait on a child process. It only turns a hang
// into a failure; nothing is asserted about how fast a child is.
const hangGuard = 30 * time.Second

// child is the command run in another process (the test binary re-executed
// as mnist), with its stdout and stderr read line by line.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	out   strings.Builder // stdout and stderr so far
	done  chan struct{}   // closed once the process has exited
}

func startChild(t *testing.T, block string, args ...string) *child {
	t.Helper()
	return startCmd(t, block, exec.Command(testExe(t), args...))
}

func testExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// startCmd starts cmd, which runs the test binary as mnist.
func startCmd(t *testing.T, block string, cmd *exec.Cmd) *child {
	t.Helper()
	c := &child{t: t, cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), envMain+"=1", envBlock+"="+block)
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				c.mu.Lock()
				c.out.WriteString(sc.Text() + "\n")
				c.mu.Unlock()
				select {
				case c.lines <- sc.Text():
				default:
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// waitFor waits until the child prints a line containing s.
func (c *child) waitFor(s string) {
	c.t.Helper()
	guard := time.After(hangGuard)
	for {
		select {
		case l := <-c.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-c.done:
			c.t.Fatalf("exited before printing %q:\n%s", s, c.output())
		case <-guard:
			c.cmd.Process.Kill()
			c.t.Fatalf("no %q after %v (hung?):\n%s", s, hangGuard, c.output())
		}
	}
}

// exit waits for the child to exit and returns its exit code.
func (c *child) exit() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(hangGuard):
		c.cmd.Process.Kill()
		<-c.done
		c.t.Fatalf("still running after %v (hung?):\n%s", hangGuard, c.output())
	}
	return c.cmd.ProcessState.ExitCode()
}

func (c *child) signal(s syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(s); err != nil {
		c.t.Fatal(err)
	}
}

// mnistDir returns the real MNIST directory, or skips.
func mnistDir(t *testing.T) string {
	t.Helper()
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skipf("real MNIST is not available here: %v", err)
	}
	return dir
}

// writeIDX writes a ubyte IDX array.
func writeIDX(t *testing.T, path string, dims []int, payload []byte) {
	t.Helper()
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	if err := os.WriteFile(path, append(b, payload...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeMNIST writes a small MNIST-like data set of random images into a new
// directory: nTrain 28×28 training images and nTest side×side test images.
func fakeMNIST(t *testing.T, nTrain, nTest, side int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(nTrain), uint64(side)))
	set := func(images, labels string, n, side int) {
		px := make([]byte, n*side*side)
		for i := range px {
			px[i] = byte(rng.IntN(256))
		}
		lb := make([]byte, n)
		for i := range lb {
			lb[i] = byte(i % 10)
		}
		writeIDX(t, filepath.Join(dir, images), []int{n, side, side}, px)
		writeIDX(t, filepath.Join(dir, labels), []int{n}, lb)
	}
	set(data.MNISTTrainImages, data.MNISTTrainLabels, nTrain, 28)
	set(data.MNISTTestImages, data.MNISTTestLabels, nTest, side)
	return dir
}

// fakeArgs are the flags of a quick run on a fake data set.
func fakeArgs(dir string, extra ...string) []string {
	return append([]string{"-data", dir, "-val-split", "0.5", "-batch", "20", "-lr", "1e-2"}, extra...)
}

// cancelOn is an output that cancels a run once it has printed text.
type cancelOn struct {
	text   string
	cancel context.CancelFunc
	buf    strings.Builder
}

func (w *cancelOn) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.text) {
		w.cancel()
	}
	return len(p), nil
}

// interruptedRun runs args until the output shows text, then interrupts it
// as Ctrl-C would; it expects the run to stop with a saved checkpoint.
func interruptedRun(t *testing.T, text string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := run(ctx, args, &cancelOn{text: text, cancel: cancel}, io.Discard)
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("err = %v, want an interruption", err)
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestSignals sends signals to a running mnist in each phase: a first
// SIGINT, SIGTERM or SIGHUP ends it with status 130 and a message, also
// where the phase itself would never end; a second one ends it at once.
func TestSignals(t *testing.T) {
	// Under nohup (or any parent that ignores hangups) the children would
	// inherit an ignored SIGHUP, which mnist rightly keeps ignoring. A
	// handled signal is reset to its default in a child, so handling it
	// here gives the children the default disposition.
	if signal.Ignored(syscall.SIGHUP) {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	dir := mnistDir(t)
	base := t.TempDir()
	weights := filepath.Join(base, "weights.bin")
	model, err := recipe.Model(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Params().SaveFile(weights); err != nil {
		t.Fatal(err)
	}
	quick := func(extra ...string) []string {
		return append([]string{"-data", dir, "-limit", "300", "-batch", "50", "-lr", "1e-3"}, extra...)
	}
	type step struct {
		waitFor string
		sig     syscall.Signal
	}
	tests := []struct {
		name  string
		block string // the phase that hangs
		args  []string
		steps []step
		want  []string
	}{
		{"loading", "loading the data", quick("-epochs", "1", "-out", "OUT"),
			[]step{{"blocked in loading", syscall.SIGTERM}}, []string{"interrupted while loading the data", "nothing was saved"}},
		{"training, SIGTERM", "", quick("-epochs", "1000", "-out", "OUT"),
			[]step{{"Training for", syscall.SIGTERM}}, []string{"interrupted (after epoch", "-resume"}},
		{"training, SIGINT", "", quick("-epochs", "1000", "-out", "OUT"),
			[]step{{"Training for", syscall.SIGINT}}, []string{"interrupted (after epoch", "-resume"}},
		{"training, SIGHUP", "", quick("-epochs", "1000", "-out", "OUT"),
			[]step{{"Training for", syscall.SIGHUP}}, []string{"interrupted (after epoch", "-resume"}},
		{"training without -out", "", quick("-epochs", "1000"),
			[]step{{"Training for", syscall.SIGTERM}}, []string{"nothing was saved (no -out)"}},
		{"evaluation with -epochs 0", "evaluating", quick("-epochs", "0", "-load", weights),
			[]step{{"blocked in evaluating", syscall.SIGTERM}}, []string{"interrupted while evaluating", "nothing was saved"}},
		{"test evaluation", "evaluating", quick("-epochs", "1", "-out", "OUT"),
			[]step{{"blocked in evaluating", syscall.SIGTERM}}, []string{"interrupted while evaluating", "weights.bin", "-resume"}},
		{"writing", "writing", quick("-epochs", "1", "-out", "OUT"),
			[]step{{"blocked in writing", syscall.SIGHUP}}, []string{"interrupted while writing", "-resume"}},
		{"second signal while saving", "saving", quick("-epochs", "1000", "-out", "OUT"),
			[]step{{"Training for", syscall.SIGTERM}, {"blocked in saving", syscall.SIGTERM}}, []string{"second signal"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			c := startChild(t, tc.block, args...)
			var sent time.Time
			for _, s := range tc.steps {
				c.waitFor(s.waitFor)
				sent = time.Now()
				c.signal(s.sig)
			}
			code := c.exit()
			t.Logf("exited %v after the last signal", time.Since(sent).Round(time.Millisecond))
			if code != 130 {
				t.Errorf("exit code %d, want 130:\n%s", code, c.output())
			}
			for _, w := range tc.want {
				if !strings.Contains(c.output(), w) {
					t.Errorf("output lacks %q:\n%s", w, c.output())
				}
			}
		})
	}
}

// TestNohup: a run started with SIGHUP ignored, as nohup starts it, keeps
// ignoring it.
func TestNohup(t *testing.T) {
	args := []string{"-c", `trap '' HUP; exec "$0" "$@"`, testExe(t), "-data", mnistDir(t), "-limit", "300", "-batch", "50", "-epochs", "1000"}
	c := startCmd(t, "", exec.Command("sh", args...))
	c.waitFor("Epoch 2/")
	c.signal(syscall.SIGHUP)
	// Two more epochs: a run that took the hangup would have stopped in
	// the epoch it was in.
	c.waitFor("Epoch 4/")
	c.signal(syscall.SIGTERM)
	if code := c.exit(); code != 130 {
		t.Errorf("exit code %d, want 130:\n%s", code, c.output())
	}
}

// TestDataNotARegularFile: a FIFO (or other special file) among the MNIST
// files is refused before it is opened, where opening it would hang.
func TestDataNotARegularFile(t *testing.T) {
	dir := fakeMNIST(t, 20, 10, 28)
	fifo := filepath.Join(dir, data.MNISTTrainImages)
	os.Remove(fifo)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	c := startChild(t, "", fakeArgs(dir, "-epochs", "1")...)
	if code := c.exit(); code != 1 || !strings.Contains(c.output(), fifo) || !strings.Contains(c.output(), "not a regular file") {
		t.Errorf("exit code %d, output %q; want 1 and a line naming %s as not a regular file", code, c.output(), fifo)
	}
}

// TestOutputsAreNotInputs: no output file may be an input file, and a run
// that is refused writes nothing.
func TestOutputsAreNotInputs(t *testing.T) {
	fake := fakeMNIST(t, 40, 10, 28)
	base := t.TempDir()
	weights := filepath.Join(base, "w.bin")
	model, err := recipe.Model(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Params().SaveFile(weights); err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(base, "cpu.prof")
	os.WriteFile(prof, []byte("an earlier profile"), 0o644)
	outWithWeights := filepath.Join(base, "out")
	os.MkdirAll(outWithWeights, 0o755)
	inOut := filepath.Join(outWithWeights, "weights.bin")
	if err := model.Params().SaveFile(inOut); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link.bin")
	os.Symlink(weights, link)
	trainImages := filepath.Join(fake, data.MNISTTrainImages)
	tests := []struct {
		name string
		args []string
		keep string // a file that must not change
		want string
	}{
		{"cpuprofile is the -load file", fakeArgs(fake, "-epochs", "0", "-load", weights, "-cpuprofile", weights), weights, "-cpuprofile"},
		{"cpuprofile is the -load file by a symlink", fakeArgs(fake, "-epochs", "0", "-load", weights, "-cpuprofile", link), weights, "-cpuprofile"},
		{"rejected flag with a cpuprofile", fakeArgs(fake, "-epochs", "1", "-optimizer", "lbfgs", "-cpuprofile", prof), prof, "lbfgs"},
		{"cpuprofile is a data file", fakeArgs(fake, "-epochs", "1", "-cpuprofile", trainImages), trainImages, "-cpuprofile"},
		{"-out would overwrite -load", fakeArgs(fake, "-epochs", "1", "-load", inOut, "-out", outWithWeights), inOut, "-load"},
		{"cpuprofile in -out", fakeArgs(fake, "-epochs", "1", "-out", filepath.Join(base, "o2"), "-cpuprofile", filepath.Join(base, "o2", "result.json")), "", "-cpuprofile"},
		{"onnx is the -load file", fakeArgs(fake, "-epochs", "0", "-load", weights, "-onnx", link), weights, "-onnx"},
		{"onnx is a data file", fakeArgs(fake, "-epochs", "1", "-onnx", trainImages), trainImages, "-onnx"},
		{"onnx in -out", fakeArgs(fake, "-epochs", "1", "-out", filepath.Join(base, "o3"), "-onnx", filepath.Join(base, "o3", "model.gocnn")), "", "-onnx"},
		{"onnx is the cpuprofile", fakeArgs(fake, "-epochs", "1", "-cpuprofile", prof, "-onnx", prof), prof, "-onnx"},
		{"onnx in a missing directory", fakeArgs(fake, "-epochs", "1", "-onnx", filepath.Join(base, "nodir", "m.onnx")), "", "no directory"},
		{"onnx is a directory", fakeArgs(fake, "-epochs", "1", "-onnx", base), "", "-onnx " + base + " is not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before []byte
			if tc.keep != "" {
				if before, err = os.ReadFile(tc.keep); err != nil {
					t.Fatal(err)
				}
			}
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if tc.keep != "" {
				if after, _ := os.ReadFile(tc.keep); !bytes.Equal(before, after) {
					t.Errorf("%s changed from %d to %d bytes", tc.keep, len(before), len(after))
				}
			}
		})
	}
}

// holdLock takes the lock of -out dir as a run in another process would.
func holdLock(t *testing.T, dir string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
}

// TestOutLock: while one run holds -out, neither a second fresh run nor a
// -resume may write there.
func TestOutLock(t *testing.T) {
	fake := fakeMNIST(t, 40, 10, 28)
	fresh := t.TempDir()
	holdLock(t, fresh)
	err := run(context.Background(), fakeArgs(fake, "-epochs", "1", "-out", fresh), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "in use by another") {
		t.Errorf("fresh run into a locked -out: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, runFile)); err == nil {
		t.Errorf("the refused run wrote %s", runFile)
	}

	running := t.TempDir()
	interruptedRun(t, "Epoch 1/", fakeArgs(fake, "-epochs", "3", "-out", running)...)
	holdLock(t, running)
	err = run(context.Background(), []string{"-resume", running, "-data", fake}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "in use by another") {
		t.Errorf("-resume of a locked run: err = %v", err)
	}
}

// TestResumeRefusals: -resume checks the data, the epochs and whether the
// run has finished.
func TestResumeRefusals(t *testing.T) {
	fake := fakeMNIST(t, 40, 10, 28)
	other := t.TempDir()
	for _, n := range []string{data.MNISTTrainImages, data.MNISTTrainLabels, data.MNISTTestImages, data.MNISTTestLabels} {
		b, _ := os.ReadFile(filepath.Join(fake, n))
		os.WriteFile(filepath.Join(other, n), b, 0o644)
	}
	out := t.TempDir()
	// Stopped in the first batch of epoch 3 of 3.
	interruptedRun(t, "Epoch 2/", fakeArgs(fake, "-epochs", "3", "-out", out)...)

	labels := filepath.Join(fake, data.MNISTTrainLabels)
	fi, err := os.Stat(labels)
	if err != nil {
		t.Fatal(err)
	}
	touch := func() { os.Chtimes(labels, fi.ModTime(), fi.ModTime().Add(time.Hour)) }
	untouch := func() { os.Chtimes(labels, fi.ModTime(), fi.ModTime()) }
	tests := []struct {
		name        string
		args        []string
		setup, undo func()
		want        string
	}{
		{"fewer epochs than the checkpoint holds", []string{"-resume", out, "-epochs", "2"}, nil, nil, "-epochs 2"},
		{"other -data", []string{"-resume", out, "-data", other}, nil, nil, "-data"},
		{"data changed", []string{"-resume", out}, touch, untouch, "changed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
				defer tc.undo()
			}
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line mentioning %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(out, "result.json")); err == nil {
				t.Fatal("the refused -resume finished the run")
			}
		})
	}
	// Without -data it reads the data the run was started with.
	if err := run(context.Background(), []string{"-resume", out}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if h := readJSON(t, filepath.Join(out, "history.json")); len(h["epochs"].([]any)) != 3 {
		t.Errorf("history has %d epochs, want 3", len(h["epochs"].([]any)))
	}
	err = run(context.Background(), []string{"-resume", out, "-epochs", "5"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "finished") {
		t.Errorf("-resume of a finished run: err = %v", err)
	}
}

// TestResumeFinishesEvaluation: a run interrupted after training, in its
// test evaluation, is finished by -resume without more training.
func TestResumeFinishesEvaluation(t *testing.T) {
	dir := mnistDir(t)
	args := []string{"-data", dir, "-limit", "300", "-batch", "50", "-lr", "1e-3", "-epochs", "1"}
	whole := t.TempDir()
	if err := run(context.Background(), append(args, "-out", whole), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	parted := t.TempDir()
	c := startChild(t, "evaluating", append(args, "-out", parted)...)
	c.waitFor("blocked in evaluating")
	c.signal(syscall.SIGINT)
	if code := c.exit(); code != 130 {
		t.Fatalf("exit code %d:\n%s", code, c.output())
	}
	var stdout strings.Builder
	if err := run(context.Background(), []string{"-resume", parted}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String(), "Epoch 2/") {
		t.Errorf("-resume trained on:\n%s", stdout.String())
	}
	x, y := readJSON(t, filepath.Join(whole, "result.json")), readJSON(t, filepath.Join(parted, "result.json"))
	for _, k := range []string{"test_loss", "test_acc", "val_loss", "train_loss", "epochs", "reported_epoch"} {
		if x[k] == nil || x[k] != y[k] {
			t.Errorf("%s: %v uninterrupted, %v resumed", k, x[k], y[k])
		}
	}
}

// TestDataChecks: data that cannot work is refused before training, with
// a message that names the flag to change.
func TestDataChecks(t *testing.T) {
	tests := []struct {
		name string
		data string
		args []string
		want string
	}{
		{"test images of another size", fakeMNIST(t, 40, 10, 32), []string{"-val-split", "0.5"}, "test images are 32x32"},
		{"too few images for the recipe's split", fakeMNIST(t, 5000, 10, 28), nil, "-val-split"},
		{"split leaves no validation images", fakeMNIST(t, 40, 10, 28), []string{"-val-split", "0.001"}, "-val-split 0.001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stdout strings.Builder
			args := append([]string{"-data", tc.data, "-epochs", "1", "-batch", "20", "-out", out}, tc.args...)
			err := run(context.Background(), args, &stdout, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(stdout.String(), "Epoch 1/") {
				t.Error("it trained first")
			}
			if _, err := os.Stat(filepath.Join(out, checkpointFile)); err == nil {
				t.Error("it wrote a checkpoint")
			}
		})
	}
}

// TestEarlyStopResult: with -early-stop, result.json describes one epoch,
// the one whose weights it ends with, and says which.
func TestEarlyStopResult(t *testing.T) {
	fake := fakeMNIST(t, 200, 50, 28)
	out := t.TempDir()
	if err := run(context.Background(), fakeArgs(fake, "-epochs", "20", "-early-stop", "1", "-out", out), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	res := readJSON(t, filepath.Join(out, "result.json"))
	hist := readJSON(t, filepath.Join(out, "history.json"))["epochs"].([]any)
	k, ok := res["reported_epoch"].(float64)
	if !ok || k < 1 || int(k) >= len(hist) {
		t.Fatalf("reported_epoch %v of %d epochs: want an earlier epoch than the last (the test needs one restored)", res["reported_epoch"], len(hist))
	}
	e := hist[int(k)-1].(map[string]any)
	for _, f := range [][2]string{{"train_loss", "loss"}, {"train_acc", "acc"}, {"val_loss", "val_loss"}, {"val_acc", "val_acc"}} {
		if res[f[0]] != e[f[1]] {
			t.Errorf("result %s %v, epoch %v's %s %v", f[0], res[f[0]], k, f[1], e[f[1]])
		}
	}
	// The weights are that epoch's: evaluating them gives its val_loss.
	out2 := t.TempDir()
	if err := run(context.Background(), fakeArgs(fake, "-epochs", "0", "-load", filepath.Join(out, "weights.bin"), "-out", out2), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if res2 := readJSON(t, filepath.Join(out2, "result.json")); res2["val_loss"] != e["val_loss"] || res2["test_loss"] != res["test_loss"] {
		t.Errorf("weights.bin evaluates to val_loss %v, test_loss %v; result.json says %v, %v", res2["val_loss"], res2["test_loss"], e["val_loss"], res["test_loss"])
	}
}

// TestRestartUntrained: a run killed (or out of disk space) before its
// first checkpoint leaves run.json and nothing trained. A fresh run with
// the same -out starts afresh in its place, and -resume starts it again
// from scratch with its settings, saying so; both end with the weights of
// a run that was never stopped.
func TestRestartUntrained(t *testing.T) {
	fake := fakeMNIST(t, 40, 10, 28)
	args := func(extra ...string) []string {
		return fakeArgs(fake, append([]string{"-epochs", "2", "-batch", "10"}, extra...)...)
	}
	whole := t.TempDir()
	if err := run(context.Background(), args("-out", whole), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(whole, weightsFile))
	if err != nil {
		t.Fatal(err)
	}
	// What SIGKILL before the first checkpoint leaves: a run interrupted
	// in its first batch saves only its checkpoint on the way out, so
	// remove it.
	killed := func(t *testing.T) string {
		out := t.TempDir()
		interruptedRun(t, "Training for", args("-out", out)...)
		if err := os.Remove(filepath.Join(out, checkpointFile)); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		args func(out string) []string
		want string
	}{
		{"fresh run", func(out string) []string { return args("-out", out) }, "starting afresh in its place"},
		{"resume", func(out string) []string { return []string{"-resume", out} }, "starting it again from scratch"},
		{"resume with -epochs", func(out string) []string { return []string{"-resume", out, "-epochs", "2"} }, "starting it again from scratch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := killed(t)
			var stdout strings.Builder
			if err := run(context.Background(), tc.args(out), &stdout, io.Discard); err != nil {
				t.Fatalf("%v\n%s", err, stdout.String())
			}
			if !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("the output does not say %q:\n%s", tc.want, stdout.String())
			}
			got, err := os.ReadFile(filepath.Join(out, weightsFile))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error("the weights differ from those of a run that was never stopped")
			}
		})
	}
	// A run stopped in its evaluation whose checkpoint was deleted by hand
	// finishes from its weights (it used to panic on the lost history).
	t.Run("trained, checkpoint deleted", func(t *testing.T) {
		out := t.TempDir()
		interruptedRun(t, "Epoch 2/", args("-out", out)...)
		if err := os.Remove(filepath.Join(out, checkpointFile)); err != nil {
			t.Fatal(err)
		}
		if err := run(context.Background(), []string{"-resume", out}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(out, resultFile)); err != nil {
			t.Fatal(err)
		}
	})
	// A run that saved a checkpoint is still refused, and still resumes.
	t.Run("checkpoint kept", func(t *testing.T) {
		out := t.TempDir()
		interruptedRun(t, "Training for", args("-out", out)...)
		err := run(context.Background(), args("-out", out), io.Discard, io.Discard)
		var stderr strings.Builder
		if code := exitCode(MNIST, err, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "-resume "+out) {
			t.Fatalf("exit code %d: %s", code, stderr.String())
		}
	})
}
