//go:build !race

package serve

// raceEnabled says the tests run under the race detector.
const raceEnabled = false
