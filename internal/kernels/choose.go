package kernels

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Where the CPU has AVX-512F, whether the GEMM micro-kernel runs two tiles
// at once in ZMM registers (gemm5x32) or one at a time in YMM registers
// (gemm5x16) is decided by measurement, not by the instruction set alone:
// a core that executes 512-bit multiply-adds as two 256-bit halves (AMD
// Zen 4) gains nothing from the wider registers and pays for the extra
// inserts and extracts, while one with full-width units gains. The two
// kernels give the same bits, so the choice changes speed only.
//
// The depth k of a call (the length of each sum, the number of steps the
// kernel runs per tile) sorts it into one of a few depth classes. At the
// first call of a class both kernels are timed on a tile group of that
// class's depth held in L1, a few rounds interleaved; AVX-512 is chosen
// only when both its best time and the median ratio of its runs to the
// AVX2 kernel's beat that kernel by a margin (pick512Margin), as a tie
// costs more power and, on some CPUs, clock speed. The choice is cached
// for the life of the process.

// depthClasses are the upper bounds (exclusive) of the depth classes and
// calibDepth the depth each class is timed at; the last class is open.
var (
	depthClasses = [...]int{24, 96, 320}
	calibDepth   = [len(depthClasses) + 1]int{16, 48, 192, 512}
)

// pick512Margin: AVX-512 is chosen when its best time and its median time
// ratio are below this
// fraction of the AVX2 kernel's.
const pick512Margin = 0.97

// Calibration: warm-up rounds (which bring the clock up), timed rounds
// (odd, for a median) and the work of one timed run (depth ×
// repetitions, about 10 µs on a 3-4 GHz core).
const (
	calibWarmup = 8
	calibRounds = 9
	calibWork   = 2048
)

// Pick states of a depth class.
const (
	pickUnknown = iota
	pickAVX2
	pickAVX512
)

var (
	classPick [len(calibDepth)]atomic.Int32 // pickUnknown until measured
	calibMu   sync.Mutex                    // one calibration at a time
)

// depthClass returns the depth class of a micro-kernel call of depth k.
func depthClass(k int) int {
	for c, hi := range depthClasses {
		if k < hi {
			return c
		}
	}
	return len(depthClasses)
}

// prefer512 reports whether, with the choice left to measurement
// (autoAVX512), a call of depth k runs the AVX-512 kernel: the cached
// choice of its depth class, measured at the class's first use.
func prefer512(k int) bool {
	c := depthClass(k)
	p := classPick[c].Load()
	if p == pickUnknown {
		p = calibrateClass(c)
	}
	return p == pickAVX512
}

// calibrateClass measures depth class c once (later callers, and callers
// that wait while another goroutine measures, get the cached answer) and
// returns its pick.
func calibrateClass(c int) int32 {
	calibMu.Lock()
	defer calibMu.Unlock()
	if p := classPick[c].Load(); p != pickUnknown {
		return p
	}
	t16, t32, ratio := timeKernels(calibDepth[c])
	p := int32(pickAVX2)
	if float64(t32) < pick512Margin*float64(t16) && ratio < pick512Margin {
		p = pickAVX512
	}
	classPick[c].Store(p)
	return p
}

// timeKernels times gemm5x16 and gemm5x32 on the same four 5×16 tiles of
// depth k, calibRounds rounds after a warm-up, each round one run of each
// in alternating order, and returns the best time of each and the median
// over rounds of the ratio of the two runs of a round (AVX-512 ÷ AVX2).
// On a shared machine other work can only add time, which the minimums
// leave out; the ratios of runs side by side leave out a clock speed that
// changes between rounds.
func timeKernels(k int) (t16, t32 time.Duration, ratio float64) {
	const cols = 4 * nr // four tiles side by side, B rows cols apart
	a := make([]float32, mr*k)
	b := make([]float32, k*cols)
	c := make([]float32, mr*cols)
	for i := range a {
		a[i] = float32(i%7-3) * 0.125
	}
	for i := range b {
		b[i] = float32(i%5-2) * 0.25
	}
	boff := make([]int32, k)
	for p := range boff {
		boff[p] = int32(p * cols)
	}
	coff := [mr]int32{0, cols, 2 * cols, 3 * cols, 4 * cols}
	var src [8]int32
	for i := range src {
		src[i] = int32(8 * i)
	}
	reps := max(1, calibWork/k)
	run := func(wide bool) time.Duration {
		start := time.Now()
		for range reps {
			kernelPath(wide, k, a, boff, b, src[:], coff[:], c, src[:], nil, 0)
		}
		return time.Since(start)
	}
	for range calibWarmup {
		run(false)
		run(true)
	}
	t16, t32 = time.Duration(1<<62), time.Duration(1<<62)
	var ratios [calibRounds]float64
	for r := range ratios {
		var d16, d32 time.Duration
		if r%2 == 0 {
			d16 = run(false)
			d32 = run(true)
		} else {
			d32 = run(true)
			d16 = run(false)
		}
		t16, t32 = min(t16, d16), min(t32, d32)
		ratios[r] = float64(d32) / float64(max(d16, 1))
	}
	slices.Sort(ratios[:])
	return t16, t32, ratios[calibRounds/2]
}

// autoPicks describes the measured choice of every depth class, measuring
// those not yet measured.
func autoPicks() string {
	var parts []string
	lo := 0
	for c := range calibDepth {
		name := "AVX2"
		p := classPick[c].Load()
		if p == pickUnknown {
			p = calibrateClass(c)
		}
		if p == pickAVX512 {
			name = "AVX-512F"
		}
		if c < len(depthClasses) {
			parts = append(parts, fmt.Sprintf("k %d-%d: %s", lo, depthClasses[c]-1, name))
			lo = depthClasses[c]
		} else {
			parts = append(parts, fmt.Sprintf("k >= %d: %s", lo, name))
		}
	}
	return strings.Join(parts, ", ")
}
