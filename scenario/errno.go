package scenario

import (
	"errors"
	"fmt"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// errnoName is the errno Linux reports for an error the TCP signalled
// asynchronously (sk_err): a reset, a refused connection, a timeout.
func errnoName(e tcp.Error) string {
	switch e {
	case tcp.ErrConnectionReset:
		return "ECONNRESET"
	case tcp.ErrConnectionRefused:
		return "ECONNREFUSED"
	case tcp.ErrTimedOut, tcp.ErrUserTimeout:
		return "ETIMEDOUT"
	case tcp.ErrConnectionClosing:
		return "EPIPE"
	case tcp.ErrConnectionDoesNotExist:
		return "ENOTCONN"
	case tcp.ErrInsufficientResources:
		return "ENOBUFS"
	case tcp.ErrConnectionAlreadyExists:
		return "EISCONN"
	case tcp.ErrRemoteSocketUnspecified:
		return "EDESTADDRREQ"
	}
	return "EIO"
}

// errnoOf maps an error a user call returned to the errno the system
// call gives on Linux. The RFC's errors depend on the call: SEND on a
// closing or vanished connection is EPIPE (write(2)), RECEIVE on one is
// ENOTCONN.
func (r *runner) errnoOf(call string, err error) result {
	var te tcp.Error
	switch {
	case errors.Is(err, emulator.ErrAddressInUse):
		return errno("EADDRINUSE")
	case errors.Is(err, emulator.ErrInvalidAddress):
		return errno("EINVAL")
	case errors.As(err, &te):
		if call == "write" && (te == tcp.ErrConnectionClosing || te == tcp.ErrConnectionDoesNotExist) {
			return errno("EPIPE")
		}
		if call == "write" && te == tcp.ErrInsufficientResources {
			return errno("EAGAIN")
		}
		return errno(errnoName(te))
	}
	// Not TCP's answer but the session's failure (a lost daemon, a
	// message the API refuses): the run cannot go on, and the verdict
	// says why instead of blaming the script with an errno.
	return result{ret: -1, errno: "EIO", err: fmt.Errorf("%s(): %w", call, err)}
}

// errnoNumbers are Linux's values (asm-generic/errno*.h) for the errno
// names a script may write as a value (getsockopt's SO_ERROR) or that
// SO_ERROR can hold.
var errnoNumbers = map[string]int64{
	"EPERM": 1, "ENOENT": 2, "EINTR": 4, "EIO": 5, "EBADF": 9, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13,
	"EFAULT": 14, "EBUSY": 16, "EINVAL": 22, "EPIPE": 32, "ENOTSOCK": 88, "EDESTADDRREQ": 89,
	"EMSGSIZE": 90, "EPROTOTYPE": 91, "ENOPROTOOPT": 92, "EOPNOTSUPP": 95, "EAFNOSUPPORT": 97,
	"EADDRINUSE": 98, "EADDRNOTAVAIL": 99, "ENETDOWN": 100, "ENETUNREACH": 101, "ENETRESET": 102,
	"ECONNABORTED": 103, "ECONNRESET": 104, "ENOBUFS": 105, "EISCONN": 106, "ENOTCONN": 107,
	"ESHUTDOWN": 108, "ETIMEDOUT": 110, "ECONNREFUSED": 111, "EHOSTDOWN": 112, "EHOSTUNREACH": 113,
	"EALREADY": 114, "EINPROGRESS": 115,
}

func errnoNumber(name string) int64 { return errnoNumbers[name] }

// errnoAlias maps an errno name to the one the runner reports when Linux
// gives both the same number (EWOULDBLOCK is EAGAIN).
func errnoAlias(name string) string {
	if name == "EWOULDBLOCK" {
		return "EAGAIN"
	}
	return name
}
