//go:build linux

package main

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

// dataLimitEnv, set in a re-executed test binary, caps its data segment
// (RLIMIT_DATA, which on Linux counts the Go heap's mappings) at that many
// bytes, so that a regression dies of "out of memory" instead of taking
// the machine's memory.
const dataLimitEnv = "FILTER_TEST_DATA_LIMIT"

func init() {
	v, ok := os.LookupEnv(dataLimitEnv)
	if !ok {
		return
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err == nil {
		err = syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: n, Max: n})
	}
	if err != nil {
		panic(err) // test setup only, never user input
	}
}

// bombPNG returns a valid w×h PNG (h a multiple of 64) of the given bit
// depth and colour type whose pixels are all zero, so that it compresses
// to almost nothing. A paletted one gets a two-colour palette.
func bombPNG(t *testing.T, w, h int, depth, colorType byte) []byte {
	t.Helper()
	var out bytes.Buffer
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		out.Write(n[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		out.Write(n[:])
	}
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = depth, colorType
	chunk("IHDR", ihdr)
	if colorType == 3 {
		chunk("PLTE", []byte{0, 0, 0, 255, 255, 255})
	}
	channels := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colorType]
	row := 1 + (w*channels*int(depth)+7)/8 // filter byte 0, then zero pixels
	chunk("IDAT", zeroZlib(t, row*64, h/64))
	chunk("IEND", nil)
	return out.Bytes()
}

// zeroZlib returns a zlib stream of n*reps zero bytes, made quickly (also
// under the race detector) by repeating one compressed run of n zeros: a
// run ended by a sync flush is a sequence of whole, non-final deflate
// blocks, and its back-references into earlier zeros stay valid when it
// follows itself. An empty final block and the Adler-32 of the zeros
// (a = 1, b = n*reps mod 65521) end the stream.
func zeroZlib(t *testing.T, n, reps int) []byte {
	t.Helper()
	var run bytes.Buffer
	fw, err := flate.NewWriter(&run, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	out := []byte{0x78, 0xda} // deflate, 32 KiB window, best compression
	for i := 0; i < reps; i++ {
		out = append(out, run.Bytes()...)
	}
	out = append(out, 0x03, 0x00) // final empty block, fixed codes
	return binary.BigEndian.AppendUint32(out, uint32(n*reps%65521)<<16|1)
}

// TestDecompressionBomb runs the command, in a child process, on tiny PNGs
// that declare 8192×8192 pixels (within the old limit of 1<<26 pixels) but
// would take gigabytes once decoded and filtered. The command must refuse
// them with a one-line error naming the file and the limit, before
// decoding: the child's peak RSS stays under maxRSS. The child's heap is
// capped at dataLimit, so that a regression fails fast.
func TestDecompressionBomb(t *testing.T) {
	const (
		maxRSS    = 200 << 20
		dataLimit = 1 << 30
	)
	tests := []struct {
		name             string
		depth, colorType byte
	}{
		{"1-bit paletted", 1, 3},
		{"16-bit RGBA", 16, 6},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The same kind of PNG, small, must decode: the bomb is valid.
			small, err := png.Decode(bytes.NewReader(bombPNG(t, 100, 128, tc.depth, tc.colorType)))
			if err != nil || small.Bounds() != image.Rect(0, 0, 100, 128) {
				t.Fatalf("a small bomb PNG does not decode: %v", err)
			}
			in := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".png")
			if err := os.WriteFile(in, bombPNG(t, 8192, 8192, tc.depth, tc.colorType), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.png")
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(),
				argsEnv+"="+strings.Join([]string{"-kernel", "edge", in, out}, "\x1f"),
				dataLimitEnv+"="+strconv.Itoa(dataLimit))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err = cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			msg := stderr.String()
			if len(msg) > 500 {
				msg = msg[:500] + "..."
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit status %d, want 1; stderr %q", code, msg)
			}
			if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, in) || !strings.Contains(msg, "limit") {
				t.Errorf("stderr %q: want one line naming %s and the limit", msg, in)
			}
			rss := testutil.PeakRSS(cmd.ProcessState)
			t.Logf("%s: %d bytes; child's peak RSS %d MiB", tc.name, mustSize(t, in), rss>>20)
			if rss > maxRSS {
				t.Errorf("child's peak RSS %d MiB, want at most %d MiB", rss>>20, maxRSS>>20)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("an output file was written")
			}
		})
	}
}

func mustSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
