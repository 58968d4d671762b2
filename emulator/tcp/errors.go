package tcp

// Error is one of the errors RFC 9293 §3.10 names, as a comparable value so
// that errors.Is works on wrapped errors. Its text is the RFC's wording.
type Error uint8

// The errors of RFC 9293 §3.10.1–§3.10.8, plus the timed-out give-up of
// §3.8.3 (R2) and RFC 1122 §4.2.3.5.
const (
	errNone Error = iota
	ErrConnectionDoesNotExist
	ErrConnectionAlreadyExists
	ErrConnectionClosing
	ErrRemoteSocketUnspecified
	ErrInsufficientResources
	ErrConnectionReset
	ErrConnectionRefused
	ErrUserTimeout
	ErrTimedOut
	numErrors
)

var errorText = [numErrors]string{
	errNone:                    "ok",
	ErrConnectionDoesNotExist:  "connection does not exist",
	ErrConnectionAlreadyExists: "connection already exists",
	ErrConnectionClosing:       "connection closing",
	ErrRemoteSocketUnspecified: "remote socket unspecified",
	ErrInsufficientResources:   "insufficient resources",
	ErrConnectionReset:         "connection reset",
	ErrConnectionRefused:       "connection refused",
	ErrUserTimeout:             "connection aborted due to user timeout",
	ErrTimedOut:                "connection timed out",
}

// Error returns the RFC's wording, prefixed "error: " as §3.10 writes it.
func (e Error) Error() string {
	if e < numErrors {
		return "error: " + errorText[e]
	}
	return "error: unknown"
}

// Text returns the wording without the prefix ("connection reset").
func (e Error) Text() string {
	if e < numErrors {
		return errorText[e]
	}
	return "unknown"
}

// NumErrors is one past the largest Error, for tables indexed by Error.
const NumErrors = int(numErrors)
