//go:build unix

package atomicfile

import "syscall"

// processAlive reports whether a process with the id exists (signal 0
// checks for it without sending anything).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
