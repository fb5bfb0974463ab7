// Package filter applies the classic 3x3 image filters of the CNN lecture
// (identity, edge detection, sharpen, box blur and Gaussian blur) to Go
// images, computing every filtered pixel with the library's own convolution
// op, ops.Conv2D, in a small Gorgonia graph: the hand-made kernels that a
// convolutional network learns to replace.
//
//	k, err := filter.ByName("edge")
//	out, err := filter.Apply(img, k)
//
// Apply convolves each channel separately with 'same' zero padding, so the
// result has the size of the input and pixels near the border see zeros
// beyond it. A grey image gives an *image.Gray; any other gives an
// *image.RGBA whose red, green and blue channels are filtered and whose
// alpha channel is kept. Results are rounded and clamped to [0, 255].
//
// ReadFile and Decode read a PNG or JPEG picture for Apply under a memory
// limit (such as MaxBytes): from the picture's header, before decoding,
// they refuse one whose decoded pixels and filter buffers would take more,
// so that a small file declaring a huge picture is an error, not an
// exhausted memory. ReadFile reads regular files only.
//
// As everywhere in CNNs, "convolution" here is cross-correlation: the
// kernel is not flipped. The named kernels are all symmetric under a
// half-turn, so for them the two are the same.
package filter
