// Package data reads training data from disk and serves it in mini-batches.
//
// The package owns the data side of training:
//
//   - the Source interface, what train's Fit, Validation and Evaluate and
//     model's PredictSource take: a data set read in mini-batches
//     (Batches, shaped like bufio.Scanner) that can start any epoch again
//     and says its length when it knows it. Examples are images (channels,
//     height, width) or vectors of features; targets are integer class
//     labels (any number of classes), one-hot or smoothed rows, or real
//     values. The in-memory Dataset is a Source, and so is a type of one's
//     own;
//   - ColorMode and ImageValues, the one conversion of a decoded image to
//     a model input (grey or RGB, scaled to a size), which the loaders and
//     package serve share;
//   - the IDX file format (ReadIDX, ReadIDXFile), the simple big-endian
//     container of typed n-dimensional arrays in which MNIST is distributed,
//     read from plain or gzip-compressed regular files with every header
//     field validated against explicit caps (MaxIDXDims, MaxIDXBytes)
//     before anything is allocated, so that a bad file gives an error
//     naming the file and the fault rather than a panic, a hang or an
//     unbounded allocation; ReadIDXN reads only the first n entries;
//   - the MNIST data set (LoadMNIST, ReadMNIST, DefaultMNISTDir), converted
//     to a Dataset: images as float32 in NCHW layout scaled to [0, 1],
//     one-hot targets and the class labels, at most MaxMNISTImages of them,
//     with helpers to check, subset, limit and randomly split it;
//     ReadMNISTN and the option MaxExamples read only the first n
//     examples, in time and memory that follow n, not the files;
//   - other data sets in memory: any IDX images and labels pair, such as
//     Fashion-MNIST (ReadIDXPair); NumPy arrays from .npy and .npz files
//     (ReadNpy, ReadNpyFile, ReadNpz), converted to float32 and made a
//     Dataset by FromArrays or LoadNpz; and feature vectors with class or
//     real labels from CSV files (ReadCSV, ReadCSVFile), each reader
//     checking its input against caps (MaxNpyBytes, MaxNpzBytes,
//     MaxCSVValues and others) before allocating for it;
//   - folders of image files (OpenImageFolder, ImageFolder), one
//     sub-folder per class as Keras's image_dataset_from_directory reads
//     them, decoded by worker goroutines a few batches ahead of training
//     into the same batches an Iterator would give, with bad files (and
//     decompression bombs, by MaxPixels) reported by name or skipped;
//   - mini-batching of a Dataset (Iterator), with an optional shuffle
//     whose order depends only on a seed and the epoch number
//     (Permutation), so that a run resumed at epoch k sees the same
//     batches as an uninterrupted one.
//
// The package deliberately knows nothing of any tensor or graph library:
// everything it hands out is a plain []float32, []uint8 or []int slice, and
// the caller copies or wraps these into whatever tensor type it uses.
// Keeping the package free of those dependencies keeps it fast to build and
// easy to test.
package data
