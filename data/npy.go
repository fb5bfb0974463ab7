package data

// NumPy's .npy and .npz files.
//
// The reader here is this package's own. The Go package
// github.com/sbinet/npyio (v0.6.0) was considered and not used: it
// allocates the header length a file declares (up to 4 GiB in version 2)
// before reading it, slices the header dictionary at offsets it does not
// check (a header without a newline, or with its keys out of order, makes it
// panic), and allocates the product of the declared shape, unchecked for
// overflow or size. The .npy format is small enough to validate field by
// field before anything is allocated, as ReadIDX does for IDX files.

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
)

// Limits enforced by ReadNpy, ReadNpyFile and ReadNpz.
const (
	// MaxNpyBytes is the largest array ReadNpy reads: neither its data
	// in the file nor its conversion to float32 may take more bytes
	// (math.MaxInt32, so that every size fits an int on any platform, as
	// MaxIDXBytes). It is checked against the header's shape before
	// anything is allocated.
	MaxNpyBytes = math.MaxInt32

	// MaxNpyHeader is the largest .npy header, in bytes, that ReadNpy
	// accepts. NumPy writes headers of well under a kilobyte.
	MaxNpyHeader = 1 << 16

	// MaxNpyDims is the largest number of dimensions of an array; it is
	// NumPy's own limit.
	MaxNpyDims = 32

	// MaxNpzMembers is the largest number of arrays ReadNpz reads from
	// one .npz file.
	MaxNpzMembers = 1024

	// MaxNpzBytes is the most bytes of array data, counted as in
	// MaxNpyBytes, that ReadNpz reads from all the members of one .npz
	// file together.
	MaxNpzBytes = 1 << 32
)

// maxLabel bounds the class labels FromArrays, ReadCSV and ReadIDXPair
// accept: 1<<24 is the largest integer below which every integer is
// exactly a float32, and it keeps N×Classes targets within reason.
const maxLabel = 1 << 24

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// Array is an n-dimensional array read from a .npy file, converted to
// float32.
//
// Shape is the array's shape, outermost dimension first; it is empty for
// a scalar (a 0-d array, of one value). Data holds the product of Shape
// values in C (row-major) order, whatever the order in the file. Dtype
// names the element type the file stored, as NumPy names it: "float32",
// "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
// "uint32", "uint64" or "bool". Integers beyond 1<<24 and float64 values
// are rounded to the nearest float32 (a float64 too large for a float32
// becomes an infinity).
type Array struct {
	Shape []int
	Data  []float32
	Dtype string

	name string // where the array came from, for errors; "" if not read
}

// npyType is an element type of a .npy file that ReadNpy converts.
type npyType struct {
	name string
	size int
	conv func(b []byte) float32 // converts one little-endian element
}

// npyTypes maps the kind and size of a descr, such as "f4", to its type.
var npyTypes = map[string]npyType{
	"f4": {"float32", 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }},
	"f8": {"float64", 8, func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) }},
	"i1": {"int8", 1, func(b []byte) float32 { return float32(int8(b[0])) }},
	"i2": {"int16", 2, func(b []byte) float32 { return float32(int16(binary.LittleEndian.Uint16(b))) }},
	"i4": {"int32", 4, func(b []byte) float32 { return float32(int32(binary.LittleEndian.Uint32(b))) }},
	"i8": {"int64", 8, func(b []byte) float32 { return float32(int64(binary.LittleEndian.Uint64(b))) }},
	"u1": {"uint8", 1, func(b []byte) float32 { return float32(b[0]) }},
	"u2": {"uint16", 2, func(b []byte) float32 { return float32(binary.LittleEndian.Uint16(b)) }},
	"u4": {"uint32", 4, func(b []byte) float32 { return float32(binary.LittleEndian.Uint32(b)) }},
	"u8": {"uint64", 8, func(b []byte) float32 { return float32(binary.LittleEndian.Uint64(b)) }},
	"b1": {"bool", 1, func(b []byte) float32 {
		if b[0] != 0 {
			return 1
		}
		return 0
	}},
}

// npyHeader is a validated .npy header.
type npyHeader struct {
	typ     npyType
	fortran bool
	shape   []int
	n       int // number of elements, the product of shape
}

// ReadNpyFile reads the .npy file at path, which must be a regular file
// (or a symbolic link to one): a named pipe, device or directory is
// refused, as by ReadIDXFile. See ReadNpy.
func ReadNpyFile(path string) (*Array, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "data: reading .npy file")
	}
	defer f.Close()
	return ReadNpy(f, path)
}

// ReadNpy reads one array in NumPy's .npy format (versions 1.0, 2.0 and
// 3.0) from r and converts it to float32; name identifies r in errors,
// usually the file name.
//
// It reads little-endian arrays of the types listed in Array, in C or
// Fortran order (a Fortran-order array is reordered to C order). It
// refuses, with an error naming the fault, big-endian data, object arrays
// (pickled Python objects, which it never unpickles), strings, structured
// and other types, a shape of more than MaxNpyDims dimensions, a header
// longer than MaxNpyHeader, an array over MaxNpyBytes, and data shorter
// or longer than the header says. Every header field is checked before
// the data is read, and memory for the data grows with the bytes
// actually read, so a header that lies about its shape cannot force a
// large allocation.
//
// ReadNpy does not check the values: an array may hold NaNs. FromArrays
// refuses non-finite examples.
func ReadNpy(r io.Reader, name string) (*Array, error) {
	a, err := readNpy(r, name, MaxNpyBytes)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// readNpy is ReadNpy with a cap of most bytes on the array.
func readNpy(r io.Reader, name string, most int64) (*Array, error) {
	h, err := readNpyHeader(r, name, most)
	if err != nil {
		return nil, err
	}
	data, err := readNpyData(r, name, h)
	if err != nil {
		return nil, err
	}
	return &Array{Shape: h.shape, Data: data, Dtype: h.typ.name, name: name}, nil
}

// readNpyHeader reads and validates the magic string, version and header
// dictionary of a .npy stream, leaving r at the first data byte.
func readNpyHeader(r io.Reader, name string, most int64) (*npyHeader, error) {
	var pre [10]byte
	n, err := io.ReadFull(r, pre[:8])
	switch {
	case n == 0 && err == io.EOF:
		return nil, errors.Errorf("data: %s: empty file", name)
	case err == io.ErrUnexpectedEOF:
		return nil, errors.Errorf("data: %s: truncated header: got %d of 8 bytes of magic string and version", name, n)
	case err != nil:
		return nil, errors.Wrapf(err, "data: %s: reading header", name)
	}
	if string(pre[:6]) != npyMagic {
		return nil, errors.Errorf("data: %s: bad magic string %q: not a .npy file (it must start with \"\\x93NUMPY\")", name, pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen uint64
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, errors.Errorf("data: %s: truncated header: no header length", name)
		}
		hlen = uint64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.Errorf("data: %s: truncated header: no header length", name)
		}
		hlen = uint64(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, errors.Errorf("data: %s: unknown .npy format version %d.%d (want 1.0, 2.0 or 3.0)", name, major, minor)
	}
	if hlen > MaxNpyHeader {
		return nil, errors.Errorf("data: %s: header length %d is more than the limit of %d (MaxNpyHeader)", name, hlen, MaxNpyHeader)
	}
	hdr := make([]byte, hlen)
	if n, err := io.ReadFull(r, hdr); err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, errors.Errorf("data: %s: truncated header: declared %d bytes, got %d", name, hlen, n)
	} else if err != nil {
		return nil, errors.Wrapf(err, "data: %s: reading header", name)
	}
	h, err := parseNpyHeader(string(hdr))
	if err != nil {
		return nil, errors.Wrapf(err, "data: %s: header %q", name, strings.TrimRight(string(hdr), " \n"))
	}

	// The element count and both byte counts are checked against most
	// one factor at a time, so no product can overflow.
	h.n = 1
	for _, d := range h.shape {
		if d == 0 {
			h.n = 0
			break
		}
	}
	if h.n > 0 {
		for _, d := range h.shape {
			if int64(d) > most || int64(h.n)*int64(d) > most {
				return nil, errors.Errorf("data: %s: shape %v of %s is more than the limit of %d bytes", name, h.shape, h.typ.name, most)
			}
			h.n *= d
		}
	}
	if need := int64(h.n) * int64(max(h.typ.size, 4)); need > most {
		return nil, errors.Errorf("data: %s: shape %v of %s needs %d bytes, more than the limit of %d", name, h.shape, h.typ.name, need, most)
	}
	return h, nil
}

// parseNpyHeader parses the Python dictionary literal of a .npy header,
// such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// followed by spaces and a newline.
func parseNpyHeader(s string) (*npyHeader, error) {
	p := &pyParser{s: s}
	fields, err := p.dict()
	if err != nil {
		return nil, err
	}
	if rest := strings.Trim(p.s[p.i:], " \t\r\n\x00"); rest != "" {
		return nil, errors.Errorf("unexpected %q after the dictionary", clip(rest))
	}
	for k := range fields {
		if k != "descr" && k != "fortran_order" && k != "shape" {
			return nil, errors.Errorf("unknown key %q (want only 'descr', 'fortran_order' and 'shape')", k)
		}
	}
	h := new(npyHeader)

	descr, ok := fields["descr"]
	switch {
	case !ok:
		return nil, errors.New("no 'descr' key")
	case descr.kind == pyList:
		return nil, errors.New("structured dtypes (a 'descr' list of fields) are not supported")
	case descr.kind != pyString:
		return nil, errors.New("'descr' is not a string")
	}
	if h.typ, err = npyDtype(descr.str); err != nil {
		return nil, err
	}

	order, ok := fields["fortran_order"]
	if !ok {
		return nil, errors.New("no 'fortran_order' key")
	}
	if order.kind != pyBool {
		return nil, errors.New("'fortran_order' is not True or False")
	}
	h.fortran = order.b

	shape, ok := fields["shape"]
	if !ok {
		return nil, errors.New("no 'shape' key")
	}
	if shape.kind != pyTuple {
		return nil, errors.New("'shape' is not a tuple of integers")
	}
	if len(shape.ints) > MaxNpyDims {
		return nil, errors.Errorf("shape has %d dimensions, more than the limit of %d (MaxNpyDims)", len(shape.ints), MaxNpyDims)
	}
	h.shape = shape.ints
	return h, nil
}

// npyDtype returns the type of a descr string such as "<f4".
func npyDtype(descr string) (npyType, error) {
	if len(descr) < 2 {
		return npyType{}, errors.Errorf("unknown dtype %q", descr)
	}
	order, code := descr[0], descr[1:]
	if order != '<' && order != '>' && order != '|' && order != '=' {
		order, code = '|', descr
	}
	switch code[0] {
	case 'O':
		return npyType{}, errors.Errorf("dtype %q is an object array (pickled Python objects), which is not supported", descr)
	case 'S', 'U', 'a', 'V':
		return npyType{}, errors.Errorf("dtype %q holds strings or raw bytes, not numbers", descr)
	}
	t, ok := npyTypes[code]
	if !ok {
		return npyType{}, errors.Errorf("unsupported dtype %q (want float32, float64, int8 to int64, uint8 to uint64 or bool)", descr)
	}
	switch {
	case t.size > 1 && order == '>':
		return npyType{}, errors.Errorf("dtype %q is big-endian, which is not supported (save the array little-endian, e.g. with a.astype('<%s'))", descr, code)
	case t.size > 1 && order == '|':
		return npyType{}, errors.Errorf("dtype %q has no byte order, but %d-byte values need one", descr, t.size)
	case t.size > 1 && order == '=':
		return npyType{}, errors.Errorf("dtype %q has the writer's native byte order, which a file cannot tell", descr)
	}
	return t, nil
}

// readNpyData reads the data of the array h describes from r, converts it
// and checks that nothing follows it.
func readNpyData(r io.Reader, name string, h *npyHeader) ([]float32, error) {
	const chunk = 64 << 10
	size := h.typ.size
	total := h.n * size
	buf := make([]byte, min(total, chunk-chunk%size))
	// Data grows with the bytes read, not with the declared shape.
	data := make([]float32, 0, min(h.n, chunk))
	for got := 0; got < total; {
		m, err := io.ReadFull(r, buf[:min(len(buf), total-got)])
		got += m
		for j := 0; j+size <= m; j += size {
			data = append(data, h.typ.conv(buf[j:j+size]))
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, errors.Errorf("data: %s: truncated data: shape %v of %s needs %d bytes, got %d", name, h.shape, h.typ.name, total, got)
		} else if err != nil {
			return nil, errors.Wrapf(err, "data: %s: reading data", name)
		}
	}
	var one [1]byte
	if n, err := io.ReadFull(r, one[:]); n == 1 {
		return nil, errors.Errorf("data: %s: trailing bytes after the %d bytes of data (file longer than its shape %v of %s says)", name, total, h.shape, h.typ.name)
	} else if err != io.EOF {
		return nil, errors.Wrapf(err, "data: %s: reading past the data", name)
	}
	data = slices.Clip(data)
	if h.fortran && len(h.shape) > 1 {
		data = fromFortran(data, h.shape)
	}
	return data, nil
}

// fromFortran returns the values of an array of the given shape, stored in
// Fortran order (first index fastest), in C order (last index fastest).
func fromFortran(src []float32, shape []int) []float32 {
	dst := make([]float32, len(src))
	k := len(shape)
	stride := make([]int, k) // C-order stride of each dimension
	stride[k-1] = 1
	for i := k - 2; i >= 0; i-- {
		stride[i] = stride[i+1] * shape[i+1]
	}
	idx := make([]int, k)
	off := 0 // C-order offset of idx
	for _, v := range src {
		dst[off] = v
		for i := 0; i < k; i++ { // advance idx, first index fastest
			idx[i]++
			off += stride[i]
			if idx[i] < shape[i] {
				break
			}
			off -= idx[i] * stride[i]
			idx[i] = 0
		}
	}
	return dst
}

// ReadNpz reads every array of the .npz file at path, a zip archive of .npy
// files as NumPy's savez and savez_compressed write, stored or deflated.
// The map's keys are the members' names without their ".npy" suffix, as
// NumPy's load gives them. The path must name a regular file.
//
// It reads at most MaxNpzMembers members, each at most MaxNpyBytes, and
// at most MaxNpzBytes from all of them together; each member is checked
// as by ReadNpy, and a member that decompresses to more than its header
// says is refused once the excess byte is read, so a zip bomb is stopped
// after the data its headers declare. Errors name the file and the member.
func ReadNpz(path string) (map[string]*Array, error) {
	return readNpz(path, MaxNpzBytes)
}

// readNpz is ReadNpz with a cap of most bytes on the whole archive.
func readNpz(path string, most int64) (map[string]*Array, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "data: reading .npz file")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, errors.Wrapf(err, "data: %s", path)
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return nil, errors.Wrapf(err, "data: %s: not a readable .npz (zip) file", path)
	}
	if len(zr.File) > MaxNpzMembers {
		return nil, errors.Errorf("data: %s: %d members, more than the limit of %d (MaxNpzMembers)", path, len(zr.File), MaxNpzMembers)
	}
	out := make(map[string]*Array, len(zr.File))
	left := most
	for _, zf := range zr.File {
		key := strings.TrimSuffix(zf.Name, ".npy")
		name := fmt.Sprintf("%s member %s", path, zf.Name)
		if _, dup := out[key]; dup {
			return nil, errors.Errorf("data: %s: a second array named %q", name, key)
		}
		a, err := readNpzMember(zf, name, min(left, MaxNpyBytes))
		if err != nil {
			return nil, err
		}
		left -= int64(len(a.Data)) * 4
		a.name = name
		out[key] = a
	}
	return out, nil
}

// readNpzMember reads one member of a .npz archive as a .npy array of at
// most most bytes.
func readNpzMember(zf *zip.File, name string, most int64) (*Array, error) {
	// The declared size is checked first, for a quick refusal; the
	// header's shape and the bytes actually read are checked after.
	if zf.UncompressedSize64 > uint64(most)+MaxNpyHeader+16 {
		return nil, errors.Errorf("data: %s: declares %d bytes uncompressed, more than the limit of %d", name, zf.UncompressedSize64, most)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, errors.Wrapf(err, "data: %s", name)
	}
	defer rc.Close()
	h, err := readNpyHeader(rc, name, most)
	if err != nil {
		return nil, err
	}
	data, err := readNpyData(rc, name, h)
	if err != nil {
		return nil, err
	}
	return &Array{Shape: h.shape, Data: data, Dtype: h.typ.name}, nil
}

// LoadNpz reads the .npz file at path and makes a Dataset of two of its
// arrays, the examples named xKey and the targets named yKey, by
// FromArrays with the number of classes taken from the targets. The keys
// are the names NumPy's savez gives them (the keyword, or "arr_0",
// "arr_1", ...).
func LoadNpz(path, xKey, yKey string) (*Dataset, error) {
	m, err := ReadNpz(path)
	if err != nil {
		return nil, err
	}
	x, y := m[xKey], m[yKey]
	if x == nil || y == nil {
		missing := xKey
		if x != nil {
			missing = yKey
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, errors.Errorf("data: %s: no array named %q (it holds %s)", path, missing, strings.Join(quoteAll(keys), ", "))
	}
	return FromArrays(x, y, 0)
}

// quoteAll returns the strings quoted, or "none" for none.
func quoteAll(s []string) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// FromArrays makes a Dataset from examples x and targets y, both with the
// number of examples N as their first dimension.
//
// x may have the shape [N, F] (vectors of F features: C = F, H = W = 0),
// [N, H, W] (grey images: C = 1), [N, C, H, W] (images in NCHW order) or
// [N] (one feature each). Its values must be finite.
//
// y of shape [N] holds class labels: each must be a whole number, at least
// 0 and less than 1<<24; they become Labels, Y is nil (sparse targets, as
// Keras's sparse_categorical_crossentropy takes them), and Classes is
// classes if it is positive (every label must then be below it), or else
// the largest label plus 1. y of shape [N, K] holds target
// rows, finite values that become Y with Classes = K (classes, if
// positive, must equal K); when K ≥ 2 and every row is one-hot (a single
// 1, the rest 0) the rows' classes become Labels too.
//
// The Dataset's X and Y share their storage with x.Data and y.Data. Errors
// name the arrays, with their files and members when read by ReadNpy or
// ReadNpz.
func FromArrays(x, y *Array, classes int) (*Dataset, error) {
	if x == nil || y == nil {
		return nil, errors.New("data: FromArrays needs both examples x and targets y")
	}
	xn, yn := x.describe("x"), y.describe("y")
	if err := x.checkLen(xn); err != nil {
		return nil, err
	}
	if err := y.checkLen(yn); err != nil {
		return nil, err
	}
	if classes < 0 || classes > maxLabel {
		return nil, errors.Errorf("data: %d classes asked for, not in [0, %d]", classes, maxLabel)
	}
	d := &Dataset{X: x.Data}
	switch s := x.Shape; len(s) {
	case 1:
		d.N, d.C = s[0], 1
	case 2:
		d.N, d.C = s[0], s[1]
	case 3:
		d.N, d.C, d.H, d.W = s[0], 1, s[1], s[2]
	case 4:
		d.N, d.C, d.H, d.W = s[0], s[1], s[2], s[3]
	default:
		return nil, errors.Errorf("data: %s: shape %v: want [N], [N, features], [N, H, W] or [N, C, H, W]", xn, s)
	}
	if d.N == 0 {
		return nil, errors.Errorf("data: %s: shape %v holds no examples", xn, x.Shape)
	}
	if d.ImageSize() == 0 {
		return nil, errors.Errorf("data: %s: shape %v: examples of no values", xn, x.Shape)
	}
	for j, v := range x.Data {
		if !finite(v) {
			return nil, errors.Errorf("data: %s: value %v at index %v (example %d) is not finite", xn, v, unravel(j, x.Shape), j/d.ImageSize())
		}
	}
	if len(y.Shape) == 0 || len(y.Shape) > 2 {
		return nil, errors.Errorf("data: %s: shape %v: want [N] labels or [N, K] target rows", yn, y.Shape)
	}
	if y.Shape[0] != d.N {
		return nil, errors.Errorf("data: %s has %d examples but %s has %d targets", xn, d.N, yn, y.Shape[0])
	}

	if len(y.Shape) == 1 {
		labels, most, err := arrayLabels(y.Data, yn, classes)
		if err != nil {
			return nil, err
		}
		d.Labels = labels
		d.Classes = classes
		if classes == 0 {
			d.Classes = most + 1
		}
		return d, nil
	}

	k := y.Shape[1]
	if k == 0 {
		return nil, errors.Errorf("data: %s: shape %v: target rows of no values", yn, y.Shape)
	}
	if classes > 0 && classes != k {
		return nil, errors.Errorf("data: %s: shape %v: rows of %d targets, but %d classes asked for", yn, y.Shape, k, classes)
	}
	for j, v := range y.Data {
		if !finite(v) {
			return nil, errors.Errorf("data: %s: value %v at index %v is not finite", yn, v, unravel(j, y.Shape))
		}
	}
	d.Y, d.Classes = y.Data, k
	if k >= 2 {
		d.Labels = oneHotLabels(y.Data, k)
	}
	return d, nil
}

// describe names a for errors: its role, and its file if it was read.
func (a *Array) describe(role string) string {
	if a.name == "" {
		return role
	}
	return role + " (" + a.name + ")"
}

// checkLen reports whether a's Data holds as many values as its Shape says.
func (a *Array) checkLen(what string) error {
	for _, d := range a.Shape {
		if d < 0 {
			return errors.Errorf("data: %s: negative dimension in shape %v", what, a.Shape)
		}
	}
	n, ok := mulSizes(a.Shape...)
	if !ok || n != len(a.Data) {
		return errors.Errorf("data: %s: %d values, but shape %v needs %d", what, len(a.Data), a.Shape, n)
	}
	return nil
}

// arrayLabels converts label values to ints, checking each is a whole
// number in [0, classes), or [0, maxLabel) if classes is 0, and returns
// them with the largest.
func arrayLabels(v []float32, what string, classes int) ([]int, int, error) {
	limit := maxLabel
	if classes > 0 {
		limit = classes
	}
	labels := make([]int, len(v))
	most := 0
	for i, f := range v {
		if !(f >= 0 && f < float32(limit)) || f != float32(math.Trunc(float64(f))) {
			why := "not a whole number"
			switch {
			case f != f:
				why = "not a number"
			case f < 0:
				why = "negative"
			case f >= float32(limit) && classes > 0:
				why = fmt.Sprintf("not below the %d classes asked for", classes)
			case f >= float32(limit):
				why = fmt.Sprintf("not below the limit of %d", maxLabel)
			}
			return nil, 0, errors.Errorf("data: %s: label %v at index %d is %s", what, f, i, why)
		}
		labels[i] = int(f)
		most = max(most, labels[i])
	}
	return labels, most, nil
}

// oneHotLabels returns the class of each row of k targets in y if every
// row is one-hot, or nil.
func oneHotLabels(y []float32, k int) []int {
	labels := make([]int, len(y)/k)
	for i := range labels {
		hot := -1
		for c, v := range y[i*k : (i+1)*k] {
			switch {
			case v == 1 && hot < 0:
				hot = c
			case v != 0:
				return nil
			}
		}
		if hot < 0 {
			return nil
		}
		labels[i] = hot
	}
	return labels
}

// unravel returns the multi-index of flat index j in an array of the given
// shape, in C order.
func unravel(j int, shape []int) []int {
	idx := make([]int, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i] = j % shape[i]
			j /= shape[i]
		}
	}
	return idx
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// The kinds of Python values a .npy header may hold.
const (
	pyString = iota + 1
	pyBool
	pyTuple
	pyList
	pyNone
)

// pyValue is a value of a .npy header's dictionary.
type pyValue struct {
	kind int
	str  string
	b    bool
	ints []int // a tuple's integers
}

// pyParser parses the subset of Python literals that .npy headers use: a
// dictionary of string keys whose values are strings, True, False, None,
// tuples of integers, and lists (of anything bracketed, skipped: a
// structured dtype, which is refused).
type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// eat consumes c, after any space, and reports whether it was there.
func (p *pyParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) errorf(format string, args ...any) error {
	return errors.Errorf("at byte %d: "+format, append([]any{p.i}, args...)...)
}

// dict parses a dictionary literal.
func (p *pyParser) dict() (map[string]pyValue, error) {
	if !p.eat('{') {
		return nil, p.errorf("want '{' opening a dictionary")
	}
	m := map[string]pyValue{}
	for !p.eat('}') {
		p.space()
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, p.errorf("key %q twice", k)
		}
		if !p.eat(':') {
			return nil, p.errorf("want ':' after key %q", k)
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		if !p.eat(',') {
			if !p.eat('}') {
				return nil, p.errorf("want ',' or '}' after the value of %q", k)
			}
			break
		}
	}
	return m, nil
}

// str parses a quoted string without escapes.
func (p *pyParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errorf("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	s := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(s, '\\') >= 0 {
		return "", p.errorf("escapes in strings are not supported")
	}
	p.i += end + 2
	return s, nil
}

// value parses a dictionary value.
func (p *pyParser) value() (pyValue, error) {
	p.space()
	rest := p.s[p.i:]
	switch {
	case rest == "":
		return pyValue{}, p.errorf("want a value")
	case rest[0] == '\'' || rest[0] == '"':
		s, err := p.str()
		return pyValue{kind: pyString, str: s}, err
	case strings.HasPrefix(rest, "True"):
		p.i += 4
		return pyValue{kind: pyBool, b: true}, nil
	case strings.HasPrefix(rest, "False"):
		p.i += 5
		return pyValue{kind: pyBool}, nil
	case strings.HasPrefix(rest, "None"):
		p.i += 4
		return pyValue{kind: pyNone}, nil
	case rest[0] == '(':
		return p.tuple()
	case rest[0] == '[':
		// Skip to the matching bracket; the caller refuses lists.
		depth := 0
		for j := 0; j < len(rest); j++ {
			switch rest[j] {
			case '[', '(':
				depth++
			case ']', ')':
				depth--
				if depth == 0 {
					p.i += j + 1
					return pyValue{kind: pyList}, nil
				}
			}
		}
		return pyValue{}, p.errorf("unterminated list")
	}
	return pyValue{}, p.errorf("unexpected %q", clip(rest))
}

// tuple parses a tuple of non-negative integers, such as (), (3,) or
// (2, 3).
func (p *pyParser) tuple() (pyValue, error) {
	p.i++ // '('
	v := pyValue{kind: pyTuple, ints: []int{}}
	for !p.eat(')') {
		p.space()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return pyValue{}, p.errorf("want a non-negative integer in a shape tuple")
		}
		if j-p.i > 18 {
			return pyValue{}, p.errorf("dimension %s is too large", clip(p.s[p.i:j]))
		}
		d, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return pyValue{}, p.errorf("bad dimension %q", p.s[p.i:j])
		}
		if len(v.ints) >= MaxNpyDims {
			return pyValue{}, p.errorf("more than %d dimensions (MaxNpyDims)", MaxNpyDims)
		}
		v.ints = append(v.ints, d)
		p.i = j
		if j < len(p.s) && p.s[j] == 'L' { // Python 2's long integers
			p.i++
		}
		if !p.eat(',') {
			if !p.eat(')') {
				return pyValue{}, p.errorf("want ',' or ')' in a shape tuple")
			}
			break
		}
	}
	return v, nil
}
