// Command folder measures data.ImageFolder against the in-memory
// data.Iterator on the MNIST training digits: it writes the first n of
// them as 28×28 grey PNGs into a temporary folder of 10 class folders,
// then, each in a child process of its own so that each peak RSS is its
// own, reads one epoch in batches of 128 (a) from the in-memory Dataset
// and (b) from the folder, and prints images/s, processor time per image
// and the peak RSS (VmHWM) after each. GOMAXPROCS is as the environment sets it.
//
//	go run ./bench/folder -n 60000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gocnn/cnn/data"
)

func main() {
	n := flag.Int("n", 60000, "number of training digits to write and read")
	batch := flag.Int("batch", 128, "batch size")
	dir := flag.String("dir", "", "read this folder, already written, instead of writing a temporary one")
	workers := flag.Int("workers", 0, "decoding goroutines of the folder loader (0: GOMAXPROCS)")
	cache := flag.Bool("cache", false, "also time a second epoch of the folder with CacheDecoded")
	mode := flag.String("mode", "", "internal: memory or folder, run as a child")
	flag.Parse()
	log.SetFlags(0)

	switch *mode {
	case "memory":
		memory(*n, *batch)
		return
	case "folder":
		folder(*dir, *batch, *workers, *cache)
		return
	}
	fmt.Printf("GOMAXPROCS %d, NumCPU %d, %s/%s, %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "mnist-folder")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
		start := time.Now()
		written, bytes := write(tmp, *n)
		fmt.Printf("wrote %d PNGs (%.1f MiB) in %v\n", written, float64(bytes)/(1<<20), time.Since(start).Round(time.Millisecond))
	}
	args := []string{"-n", fmt.Sprint(*n), "-batch", fmt.Sprint(*batch), "-dir", *dir, "-workers", fmt.Sprint(*workers), fmt.Sprintf("-cache=%v", *cache)}
	for _, m := range []string{"memory", "folder"} {
		cmd := exec.Command(os.Args[0], append(args, "-mode", m)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("%s: %v", m, err)
		}
	}
}

// load reads the first n MNIST training digits.
func load(n int) *data.Dataset {
	mnist, err := data.DefaultMNISTDir()
	if err != nil {
		log.Fatal(err)
	}
	train, _, err := data.LoadMNIST(mnist, data.MaxExamples(n))
	if err != nil {
		log.Fatal(err)
	}
	return train
}

// write writes the first n MNIST training digits as PNGs under dir, in a
// folder per class, and returns how many and their bytes.
func write(dir string, n int) (int, int64) {
	train := load(n)
	if err := data.WriteImageFolder(dir, train); err != nil {
		log.Fatal(err)
	}
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		total += fi.Size()
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	return train.N, total
}

// epoch reads one epoch of src, shuffled, and returns the images read and
// the time taken.
func epoch(it data.Batches, e int) (int, time.Duration, time.Duration) {
	start, cpu0 := time.Now(), cpuTime()
	it.Epoch(e)
	n := 0
	for it.Next() {
		n += it.Batch().N
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}
	return n, time.Since(start), cpuTime() - cpu0
}

// report prints the images/s of an epoch of n images that took d, and
// cpu of processor time, and the peak RSS so far.
func report(what string, n int, d, cpu time.Duration) {
	fmt.Printf("%-34s %6d images in %8v: %10.0f images/s, %6.2f µs CPU/image, peak RSS %s\n",
		what, n, d.Round(time.Microsecond), float64(n)/d.Seconds(), float64(cpu.Microseconds())/float64(n), peakRSS())
}

// cpuTime returns the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func memory(n, batch int) {
	start := time.Now()
	train := load(n)
	loaded := time.Since(start)
	it, err := data.NewIterator(train, batch, data.Shuffle(1))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("(a) LoadMNIST of %d digits took %v\n", train.N, loaded.Round(time.Millisecond))
	k, d, cpu := epoch(it, 0)
	report("(a) in-memory Iterator, 1 epoch", k, d, cpu)
}

func folder(dir string, batch, workers int, cache bool) {
	opts := []data.FolderOption{}
	if workers > 0 {
		opts = append(opts, data.Workers(workers))
	}
	if cache {
		opts = append(opts, data.CacheDecoded(1<<30))
	}
	start := time.Now()
	f, err := data.OpenImageFolder(dir, opts...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("(b) OpenImageFolder of %d files took %v\n", f.Len(), time.Since(start).Round(time.Millisecond))
	it, err := f.Batches(batch, data.Shuffle(1))
	if err != nil {
		log.Fatal(err)
	}
	defer it.Close()
	k, d, cpu := epoch(it, 0)
	report("(b) ImageFolder, 1 epoch", k, d, cpu)
	if cache {
		k, d, cpu = epoch(it, 1)
		report("(b) ImageFolder, epoch 2, cached", k, d, cpu)
	}
}

// peakRSS returns VmHWM from /proc/self/status.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
