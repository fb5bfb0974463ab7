package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

// gzipZeroPadded returns a gzip stream of prefix followed by zeros up to
// size bytes in all, at least 2 MiB more than the prefix. Rather than
// compress every zero it repeats the compressed form of 1 MiB of zeros,
// which, once the window holds only zeros, decodes the same anywhere: a
// stream of gigabytes takes a few milliseconds and about 1 KiB per MiB.
func gzipZeroPadded(tb testing.TB, prefix []byte, size int) []byte {
	tb.Helper()
	const mib = 1 << 20
	zeros := make([]byte, mib)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	write := func(b []byte) {
		if _, err := zw.Write(b); err != nil {
			tb.Fatal(err)
		}
		if err := zw.Flush(); err != nil {
			tb.Fatal(err)
		}
	}
	write(prefix)
	write(zeros) // now the 32 KiB window holds only zeros
	start := buf.Len()
	write(zeros)
	chunk := bytes.Clone(buf.Bytes()[start:])
	n := len(prefix) + 2*mib
	for ; n+mib <= size; n += mib {
		buf.Write(chunk)
	}
	write(zeros[:size-n])
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	// The trailer holds the CRC-32 and size of what the writer saw; put
	// those of the whole content in their place.
	crc := crc32.ChecksumIEEE(prefix)
	for rest := size - len(prefix); rest > 0; rest -= min(rest, mib) {
		crc = crc32.Update(crc, crc32.IEEETable, zeros[:min(rest, mib)])
	}
	out := buf.Bytes()
	binary.LittleEndian.PutUint32(out[len(out)-8:], crc)
	binary.LittleEndian.PutUint32(out[len(out)-4:], uint32(size))
	return out
}

// TestGzipZeroPadded checks the test helper gzipZeroPadded against the
// gzip package.
func TestGzipZeroPadded(t *testing.T) {
	prefix := seq(1000)
	const size = 5<<20 + 123
	b := gzipZeroPadded(t, prefix, size)
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := append(bytes.Clone(prefix), make([]byte, size-len(prefix))...)
	if !bytes.Equal(got, want) {
		t.Fatalf("decompressed %d bytes, not the %d-byte prefix and zeros", len(got), size)
	}
}

// bombEnv, when set, makes TestReadMNISTBomb a child that reads the files
// in the directory it names.
const bombEnv = "DATA_TEST_BOMB_DIR"

const (
	bombImages = 2_700_000 // images the headers declare
	bombRead   = 2000      // images the limited read asks for
	bombMaxRSS = 150 << 20 // bound on the peak RSS of a child, bytes
)

// TestReadMNISTBomb reads a pair of gzip MNIST files of about 2 MB whose
// headers declare 2.7 million 28×28 images, all present (2.1 GB of pixels,
// nearly all zeros). In a child process, so that its peak RSS can be
// measured, it reads the first 2000 of them, which must be right, and then
// all of them, which must fail on the cap MaxMNISTImages; the child's peak
// RSS must stay under 150 MiB.
func TestReadMNISTBomb(t *testing.T) {
	if dir := os.Getenv(bombEnv); dir != "" {
		bombChild(dir)
		return
	}
	dir := t.TempDir()
	images := fakeImages(bombRead, 28, 28)
	binary.BigEndian.PutUint32(images[4:], bombImages)
	labels := fakeLabels(bombRead)
	binary.BigEndian.PutUint32(labels[4:], bombImages)
	writeFiles(t, dir, map[string][]byte{
		"images.gz": gzipZeroPadded(t, images, 16+bombImages*28*28),
		"labels.gz": gzipZeroPadded(t, labels, 8+bombImages),
	})

	out, rss := testutil.Child(t, "TestReadMNISTBomb", bombEnv, dir)
	t.Logf("child peak RSS %.1f MiB", float64(rss)/(1<<20))
	for _, want := range []string{
		"limited: ok",
		"all: data: " + filepath.Join(dir, "images.gz") + ": header declares 2700000 images, more than the cap of 1048576",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if rss > bombMaxRSS {
		t.Errorf("child peak RSS %d MiB, more than the bound of %d MiB", rss>>20, bombMaxRSS>>20)
	}
}

// bombChild is the work of TestReadMNISTBomb's child: it reports on
// standard output how each read went.
func bombChild(dir string) {
	images, labels := filepath.Join(dir, "images.gz"), filepath.Join(dir, "labels.gz")
	d, err := ReadMNISTN(images, labels, bombRead)
	if err == nil {
		err = checkFake(d, bombRead, 28, 28)
	}
	if err == nil {
		os.Stdout.WriteString("limited: ok\n")
	} else {
		os.Stdout.WriteString("limited: " + err.Error() + "\n")
	}
	if _, err := ReadMNIST(images, labels); err != nil {
		os.Stdout.WriteString("all: " + err.Error() + "\n")
	} else {
		os.Stdout.WriteString("all: read\n")
	}
}
