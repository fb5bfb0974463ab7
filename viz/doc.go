// Package viz draws the pictures a CNN user wants to look at and writes them
// as PNG files.
//
// It works on plain Go slices ([]float64 for curves, []float32 for weights and
// activations, ints for counts) and on the standard image packages, so it can
// be used with any tensor library: copy the data out of a tensor and hand the
// slice over.
//
// The package provides:
//
//   - [LinePlot]: training curves (accuracy or loss against epochs), one
//     [Series] per curve, drawn as dots, a line or both, with a legend and
//     axis labels. This is the Go counterpart of the Keras recipe that plots
//     training accuracy as blue dots ('bo') and validation accuracy as a red
//     line. Plots are rendered with gonum.org/v1/plot.
//   - [GrayImage] and [GrayGrid]: grey-scale pictures of 2-D maps, such as
//     the learned 5x5 filters of a first convolution layer or the feature maps
//     one digit produces. Every map is normalised on its own, so its smallest
//     value is black and its largest white.
//   - [DigitGrid]: a grid of input images with a caption under each one, for
//     example "7 (p=7)" for a digit whose label is 7 and whose prediction is 7.
//   - [Confusion]: a confusion matrix that counts (true class, predicted
//     class) pairs and writes itself as CSV or as a heat map PNG with the
//     count written in each cell.
//
// Every function that writes a file writes it atomically: the PNG is encoded
// into a temporary file in the destination directory which is then renamed
// over the destination, so a reader never sees a half-written picture and a
// failed write leaves neither a partial file nor a temporary file behind.
// Errors name the destination path.
//
// The package is pure Go (no cgo).
package viz
