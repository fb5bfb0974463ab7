//go:build race

package demo

// raceEnabled says the tests run under the race detector.
const raceEnabled = true
