//go:build !unix

package ledger

// lockFile is a no-op where flock does not exist: FileStore then
// serialises only the goroutines of one process (its mutex).
func lockFile(string) (func(), error) { return func() {}, nil }
