package shell

// Split and WithSession are exported to the external tests, which need
// the real command tree (package root, which imports this package).
var (
	Split       = split
	WithSession = withSession
)
