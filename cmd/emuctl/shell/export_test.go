package shell

// WithSession is exported to the external tests, which need the real
// command tree (package root, which imports this package).
var WithSession = withSession
