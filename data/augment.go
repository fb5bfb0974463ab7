package data

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Augmentation describes random changes to training images, like Keras's
// preprocessing layers (RandomTranslation, RandomRotation, RandomZoom,
// RandomFlip) or its ImageDataGenerator: each image of a batch is shifted,
// rotated and zoomed about its centre by amounts drawn at random, and
// optionally mirrored, then resampled bilinearly; what comes from outside
// the image is 0.
//
// The draws depend only on Seed, the training step and the image's place
// in its batch, so a run resumed from a checkpoint sees the very images an
// uninterrupted one would. A Trainer applies it to training batches only,
// never in evaluation or prediction (see train.Augmentation).
type Augmentation struct {
	// Shift is the largest shift, as a fraction of the height and of the
	// width, in each direction (Keras's height_factor and width_factor).
	Shift float64
	// Rotation is the largest rotation in degrees, either way.
	Rotation float64
	// Zoom is the largest relative change of scale, in or out: 0.1 draws
	// scales from 0.9 to 1.1.
	Zoom float64
	// FlipHorizontal mirrors half the images left to right. It is off by
	// default: digits do not flip.
	FlipHorizontal bool
	// Seed seeds the draws.
	Seed uint64
}

// Check reports settings that make no sense.
func (a *Augmentation) Check() error {
	switch {
	case a == nil:
		return errors.New("data: nil augmentation")
	case !(a.Shift >= 0 && a.Shift < 1):
		return errors.Errorf("data: augmentation shift %v is not in [0, 1)", a.Shift)
	case !(a.Rotation >= 0 && a.Rotation <= 180):
		return errors.Errorf("data: augmentation rotation %v is not in [0, 180] degrees", a.Rotation)
	case !(a.Zoom >= 0 && a.Zoom < 1):
		return errors.Errorf("data: augmentation zoom %v is not in [0, 1)", a.Zoom)
	}
	return nil
}

// Apply changes the n images of c×h×w values in x in place, as training
// step step draws them. It is safe for concurrent use on different x.
func (a *Augmentation) Apply(x []float32, n, c, h, w int, step uint64) error {
	if err := a.Check(); err != nil {
		return err
	}
	size := c * h * w
	if n < 0 || size <= 0 || len(x) != n*size {
		return errors.Errorf("data: augmentation of %d images of %dx%dx%d given %d values", n, c, h, w, len(x))
	}
	src := make([]float32, size)
	for i := 0; i < n; i++ {
		img := x[i*size : (i+1)*size]
		copy(src, img)
		a.transform(src, img, c, h, w, a.rng(step, i))
	}
	return nil
}

// rng returns the generator of image i of step step.
func (a *Augmentation) rng(step uint64, i int) *rand.Rand {
	hs := fnv.New64a()
	var b [8]byte
	for _, v := range []uint64{a.Seed, step, uint64(i)} {
		binary.LittleEndian.PutUint64(b[:], v)
		hs.Write(b[:])
	}
	return rand.New(rand.NewPCG(hs.Sum64(), 0x243f6a8885a308d3))
}

// transform draws one image's changes and resamples src into dst.
func (a *Augmentation) transform(src, dst []float32, c, h, w int, rng *rand.Rand) {
	uniform := func(r float64) float64 { return r * (2*rng.Float64() - 1) }
	ty, tx := uniform(a.Shift)*float64(h), uniform(a.Shift)*float64(w)
	angle := uniform(a.Rotation)
	scale := 1 + uniform(a.Zoom)
	flip := a.FlipHorizontal && rng.IntN(2) == 1
	warp(src, dst, c, h, w, ty, tx, angle, scale, flip)
}

// warp resamples src into dst, each c planes of h×w: shifted by (ty, tx)
// pixels, rotated by angle degrees (counter-clockwise) and scaled by scale
// about the centre, after mirroring left to right if flip: each output
// pixel p takes the input at centre + R·(p − centre − t)/scale, R the turn
// that undoes the rotation.
func warp(src, dst []float32, c, h, w int, ty, tx, angle, scale float64, flip bool) {
	if ty == 0 && tx == 0 && angle == 0 && scale == 1 && !flip {
		copy(dst, src)
		return
	}
	cy, cx := float64(h-1)/2, float64(w-1)/2
	sin, cos := math.Sincos(-angle * math.Pi / 180)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dy, dx := (float64(y)-cy-ty)/scale, (float64(x)-cx-tx)/scale
			// Sampling at the output point turned back by the angle turns
			// the picture counter-clockwise (rows grow downwards).
			sy, sx := cy+cos*dy-sin*dx, cx+sin*dy+cos*dx
			if flip {
				sx = float64(w-1) - sx
			}
			for ch := 0; ch < c; ch++ {
				dst[(ch*h+y)*w+x] = bilinear(src[ch*h*w:(ch+1)*h*w], h, w, sy, sx)
			}
		}
	}
}

// bilinear samples the h×w plane p at (y, x), taking 0 outside it.
func bilinear(p []float32, h, w int, y, x float64) float32 {
	y0, x0 := math.Floor(y), math.Floor(x)
	fy, fx := y-y0, x-x0
	at := func(yy, xx float64) float64 {
		if yy < 0 || xx < 0 || yy >= float64(h) || xx >= float64(w) {
			return 0
		}
		return float64(p[int(yy)*w+int(xx)])
	}
	v := (1-fy)*((1-fx)*at(y0, x0)+fx*at(y0, x0+1)) + fy*((1-fx)*at(y0+1, x0)+fx*at(y0+1, x0+1))
	return float32(v)
}
