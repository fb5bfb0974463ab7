// Command filter applies one of the CNN lecture's image filters (identity,
// edge, sharpen, box-blur, gaussian-blur) to a PNG or JPEG picture and
// writes the result as a PNG of the same size, computing it with the
// library's own convolution op (see package filter).
//
// Usage:
//
//	go run ./cmd/filter -kernel NAME IN.png OUT.png
//
// Grey pictures stay grey; colour pictures are filtered channel by channel
// with their alpha kept. The output is written atomically: a failed run
// leaves no partial file. Run with -help for the flags and kernel names.
//
// The input must be a regular file, and a picture that would take more
// than filter.MaxBytes (1 GiB) of memory to decode and filter, counted from
// its header before decoding, is refused: with a 3x3 kernel, colour
// pictures of up to 13 to 19 million pixels pass (4000x3000 of any kind),
// grey ones of up to 31 to 46 million.
//
// Exit status: 0 on success, 2 for a bad flag, an unknown kernel or missing
// arguments, 1 when the input cannot be read or decoded or the output cannot
// be written. Errors are one line on standard error.
package main

import (
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/filter"
	"github.com/gocnn/cnn/internal/atomicfile"
)

func main() {
	os.Exit(report(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// report prints err, if any, as one line on stderr and returns the exit
// status: 0 for success or -help, 2 for a usage error, 1 otherwise.
func report(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "filter:", oneLine(err))
		return 2
	default:
		fmt.Fprintln(stderr, "filter:", oneLine(err))
		return 1
	}
}

// oneLine is err's message on one line, without the "filter: " that
// package filter's errors begin with (report prints its own).
func oneLine(err error) string {
	return strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", " "), "filter: ")
}

// usageError is a bad flag or argument: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run is the command: it parses args, filters the input picture and writes
// the output, writing -help's text to stderr. It prints nothing on success,
// so stdout is unused; it is there to match the other commands.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("filter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kernel := fs.String("kernel", "", "the filter to apply: "+strings.Join(filter.Names(), ", ")+" (required)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: filter -kernel NAME IN OUT.png\n\n"+
			"Convolves the PNG or JPEG picture IN with a 3x3 kernel, channel by channel with\n"+
			"'same' zero padding, and writes the result to OUT.png with the same size.\n"+
			"IN must be a regular file; a picture that would take more than %d MiB of\n"+
			"memory to decode and filter is refused.\n\n"+
			"Flags:\n", filter.MaxBytes>>20)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nKernels:\n")
		for _, name := range filter.Names() {
			k, _ := filter.ByName(name)
			fmt.Fprintf(stderr, "  %-14s %s\n", name, weights(k))
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{oneLine(err)}
	}
	if *kernel == "" {
		return usageError{"-kernel is required (one of " + strings.Join(filter.Names(), ", ") + ")"}
	}
	k, err := filter.ByName(*kernel)
	if err != nil {
		return usageError{fmt.Sprintf("-kernel: unknown kernel %q (want one of %s)", *kernel, strings.Join(filter.Names(), ", "))}
	}
	switch {
	case fs.NArg() < 2:
		return usageError{fmt.Sprintf("want an input and an output file, got %d argument(s); see -help", fs.NArg())}
	case fs.NArg() > 2:
		return usageError{fmt.Sprintf("unexpected argument %q after the output file", fs.Arg(2))}
	}
	in, out := fs.Arg(0), fs.Arg(1)
	img, err := filter.ReadFile(in, k, filter.MaxBytes)
	if err != nil {
		return err
	}
	res, err := filter.Apply(img, k)
	if err != nil {
		return errors.Wrapf(err, "filtering %s", in)
	}
	return atomicfile.Write(out, func(w io.Writer) error { return png.Encode(w, res) })
}

// weights formats a kernel's weights as rows, such as [[0,-1,0],...].
func weights(k filter.Kernel) string {
	var b strings.Builder
	b.WriteByte('[')
	for r := 0; r < k.Size; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for c := 0; c < k.Size; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.4g", k.Weights[r*k.Size+c])
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String()
}
