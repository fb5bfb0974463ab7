// Package data reads training data from disk and serves it in mini-batches.
//
// The package owns four things:
//
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
//   - mini-batching (Iterator), shaped like bufio.Scanner, with an
//     optional shuffle whose order depends only on a seed and the epoch
//     number, so that a run resumed at epoch k sees the same batches as an
//     uninterrupted one;
//   - folders of image files (OpenImageFolder, ImageFolder), one
//     sub-folder per class as Keras's image_dataset_from_directory reads
//     them, decoded by worker goroutines a few batches ahead of training
//     into the same batches an Iterator would give, with bad files (and
//     decompression bombs, by MaxPixels) reported by name or skipped.
//
// The package deliberately knows nothing of any tensor or graph library:
// everything it hands out is a plain []float32, []uint8 or []int slice, and
// the caller copies or wraps these into whatever tensor type it uses.
// Keeping the package free of those dependencies keeps it fast to build and
// easy to test.
package data
