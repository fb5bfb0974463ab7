//go:build !race

package model

// raceEnabled says the tests run under the race detector.
const raceEnabled = false
