package main

import "github.com/gocnn/cnn/serve/demo"

// The command is demo.Main; its tests call demo.Run and demo.ExitCode.
var run, exitCode = demo.Run, demo.ExitCode
