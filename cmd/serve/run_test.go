package main

import "github.com/gocnn/cnn/serve"

// The command is serve.Main; its tests call serve.Run and serve.ExitCode.
var run, exitCode = serve.Run, serve.ExitCode
