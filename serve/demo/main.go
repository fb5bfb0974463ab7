package demo

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/serve"
)

// Main is cmd/serve: it serves the models that the command line args (the
// flags without the program's name) name until SIGINT or SIGTERM, logging
// to standard error, and returns the exit status: 0, 1 for an error, 64
// for a usage error. A program that serves models with custom layers
// registers them (layers.Register) and calls it:
//
//	func main() {
//		layers.Register("Swish", func(json.RawMessage) (layers.Layer, error) { return &Swish{}, nil })
//		os.Exit(demo.Main(os.Args[1:]))
//	}
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ExitCode(Run(ctx, args, os.Stderr, nil), os.Stderr)
}

const (
	exitError = 1
	exitUsage = 64
)

// ExitCode prints err, unless it is nil or flag.ErrHelp, to stderr as one
// line ("serve: ...") and returns the exit status Main returns for it: 0,
// 1 for an error, 64 for a usage error.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "serve:", strings.ReplaceAll(err.Error(), "\n", " "))
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitError
}

// usageError is a bad flag or argument: exit status 64.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// flagList is a repeatable string flag.
type flagList []string // the flag.Value of -model and -name

func (l *flagList) String() string     { return strings.Join(*l, ",") }
func (l *flagList) Set(v string) error { *l = append(*l, v); return nil }

// cmdConfig is the parsed command line of Run.
type cmdConfig struct {
	models, names                           flagList
	addr, dataDir, logLevel, modelDir       string
	poll                                    time.Duration
	maxBatch, maxInstances, maxPixels       int
	maxBody, bodyBudget                     int64
	maxInflight                             int
	batchTimeout, readTimeout, writeTimeout time.Duration
	idleTimeout, shutdownTimeout            time.Duration
}

func parseFlags(args []string, stderr io.Writer) (cmdConfig, error) {
	var c cmdConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&c.models, "model", "whole-model or ONNX (.onnx) `FILE` to serve (repeatable; required)")
	fs.Var(&c.names, "name", "`NAME` of the -model in the same position (repeatable; default: the file's name without its extension)")
	fs.StringVar(&c.modelDir, "model-dir", "", "`DIR` of models to serve, laid out as DIR/NAME/VERSION/model.gocnn; the highest version of each by default")
	fs.DurationVar(&c.poll, "poll", time.Second, "how often -model-dir is read again for new and removed versions; 0 never")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on")
	fs.IntVar(&c.maxBatch, "max-batch", serve.DefaultMaxBatch, "most instances batched into one forward pass; 1 turns batching off")
	fs.DurationVar(&c.batchTimeout, "batch-timeout", serve.DefaultBatchTimeout, "how long a batch waits for more requests after its first")
	fs.Int64Var(&c.maxBody, "max-body", serve.DefaultMaxBody, "largest request body in `bytes`")
	fs.IntVar(&c.maxInstances, "max-instances", serve.DefaultMaxInstances, "most instances in one request")
	fs.IntVar(&c.maxPixels, "max-pixels", serve.DefaultMaxPixels, "largest image upload in pixels")
	fs.IntVar(&c.maxInflight, "max-inflight", serve.DefaultMaxInflight(), "most requests to /v1/ served at once; past it 503 with Retry-After (/healthz and /metrics do not count)")
	fs.Int64Var(&c.bodyBudget, "body-budget", 0, "most `bytes` of request bodies read or decoded at once; others wait their turn (0: an eighth of GOMEMLIMIT if set, else 64 MiB)")
	fs.StringVar(&c.dataDir, "data", "", "`DIR` with MNIST's test files, for the page's random test image (default: the copy in the Go module cache, if any)")
	fs.DurationVar(&c.readTimeout, "read-timeout", 30*time.Second, "time to read a whole request")
	fs.DurationVar(&c.writeTimeout, "write-timeout", 60*time.Second, "time to write a response, from the end of the request headers")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a shutdown waits for requests in flight")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug (every request), info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err.Error() + "; run serve -help for the flags"}
	}
	switch {
	case fs.NArg() > 0:
		return c, usageError{fmt.Sprintf("unexpected argument %q; run serve -help for the flags", fs.Arg(0))}
	case len(c.models) == 0 && c.modelDir == "":
		return c, usageError{"no -model given: usage: serve -model FILE [-model FILE ...] [-addr 127.0.0.1:8080], or serve -model-dir DIR"}
	case c.poll < 0:
		return c, usageError{fmt.Sprintf("-poll %v: want 0 (never) or more", c.poll)}
	case len(c.names) > len(c.models):
		return c, usageError{fmt.Sprintf("%d -name flags for %d -model flags", len(c.names), len(c.models))}
	case c.maxInflight < 1:
		return c, usageError{fmt.Sprintf("-max-inflight %d: want at least 1", c.maxInflight)}
	case c.bodyBudget < 0:
		return c, usageError{fmt.Sprintf("-body-budget %d: want 0 (the default) or more", c.bodyBudget)}
	case c.shutdownTimeout <= 0 || c.readTimeout <= 0 || c.writeTimeout <= 0 || c.idleTimeout <= 0:
		return c, usageError{"-read-timeout, -write-timeout, -idle-timeout and -shutdown-timeout must be positive"}
	}
	return c, nil
}

// Run parses the command line args as cmd/serve does (see its
// documentation for the flags) and serves until ctx is done, then shuts
// down gracefully, finishing the requests in flight. It logs to stderr.
// ready, if not nil, is called with the address once the server listens.
// A bad flag or argument is an error for which ExitCode returns 64.
func Run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return usageError{fmt.Sprintf("-log-level %q: want debug, info, warn or error", c.logLevel)}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var models []*serve.Model
	for i, path := range c.models {
		name := ""
		if i < len(c.names) {
			name = c.names[i]
		}
		m, err := Load(path, name)
		if err != nil {
			return errors.Wrapf(err, "-model %s", path)
		}
		for _, o := range models {
			if o.Name == m.Name {
				return usageError{fmt.Sprintf("two models are named %q; name them apart with -name", m.Name)}
			}
		}
		acc := "unknown (no " + ResultFile + " beside it)"
		if a, _ := accuracy(m); a != nil {
			acc = fmt.Sprintf("%.4f", *a)
		}
		log.Info("loaded model", "name", m.Name, "file", path, "params", m.Net.Params().Count(), "input", m.Net.InputShape(0),
			"classes", len(m.Net.ClassNames()), "test_accuracy", acc)
		models = append(models, m)
	}
	if c.modelDir != "" {
		if fi, err := os.Stat(c.modelDir); err != nil {
			return errors.Wrap(err, "-model-dir")
		} else if !fi.IsDir() {
			return errors.Errorf("-model-dir %s is not a directory", c.modelDir)
		}
	}
	test, err := mnistTestImages(c.dataDir, log)
	if err != nil {
		return err
	}
	srv, err := serve.New(models, serve.MaxBatch(c.maxBatch), serve.BatchTimeout(c.batchTimeout),
		serve.MaxBody(c.maxBody), serve.MaxInstances(c.maxInstances), serve.MaxPixels(c.maxPixels),
		serve.MaxInflight(c.maxInflight), serve.BodyBudget(c.bodyBudget), serve.ModelDir(c.modelDir), serve.Poll(c.poll),
		serve.Logger(log), serve.ImageConverter(Convert), serve.Loader(Load))
	if err != nil {
		return usageError{err.Error()}
	}
	defer srv.Close()
	if err := Attach(srv, TestImages(test)); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return errors.Wrapf(err, "-addr %s", c.addr)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: min(c.readTimeout, 10*time.Second), ReadTimeout: c.readTimeout,
		WriteTimeout: c.writeTimeout, IdleTimeout: c.idleTimeout, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	log.Info("listening", "addr", "http://"+ln.Addr().String(), "max_batch", c.maxBatch, "batch_timeout", c.batchTimeout)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		return errors.Wrap(err, "serving")
	case <-ctx.Done():
	}
	log.Info("shutting down", "within", c.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		// Slow clients still hold requests open: a graceful stop has done
		// what it could, so cut them off and still exit 0.
		log.Warn("closing the connections still open after -shutdown-timeout", "shutdown_timeout", c.shutdownTimeout, "err", err)
		if err := hs.Close(); err != nil {
			log.Warn("closing the connections", "err", err)
		}
	}
	log.Info("stopped")
	return nil
}

// mnistTestImages loads MNIST's test set from dir, or from the module cache if
// dir is "" (where its absence is only worth a warning).
func mnistTestImages(dir string, log *slog.Logger) (*data.Dataset, error) {
	given := dir != ""
	if !given {
		var err error
		if dir, err = data.DefaultMNISTDir(); err != nil {
			log.Warn("no MNIST test images for the page's random button", "err", err)
			return nil, nil
		}
	}
	// The training set is not needed: read one image of it.
	_, test, err := data.LoadMNIST(dir, data.MaxExamples(1), data.MaxTestExamples(0))
	if err != nil {
		if given {
			return nil, errors.Wrapf(err, "-data %s", dir)
		}
		log.Warn("no MNIST test images for the page's random button", "err", err)
		return nil, nil
	}
	log.Info("test images", "dir", dir, "n", test.N)
	return test, nil
}
