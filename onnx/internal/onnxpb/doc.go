// Package onnxpb is the Go binding of ONNX's protobuf schema, generated
// from onnx.proto (the copy shipped with ONNX 1.12, IR version 8, opsets
// up to 17; taken from Debian bookworm's python3-onnx 1.12.0,
// /usr/lib/python3/dist-packages/onnx/onnx.proto) by protoc 3.21.12
// (Debian's protobuf-compiler) and protoc-gen-go v1.36.12 (built from the
// module google.golang.org/protobuf v1.36.12, ./cmd/protoc-gen-go). See
// README.md for the commands. Do not edit onnx.pb.go by hand.
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/gocnn/cnn/onnx/internal/onnxpb onnx.proto
