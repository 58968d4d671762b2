package scenario

import "fmt"

// syscalls the runner understands; anything else is unsupported.
var syscallNames = map[string]bool{
	"socket": true, "bind": true, "listen": true, "accept": true, "connect": true,
	"read": true, "recv": true, "write": true, "send": true, "shutdown": true, "close": true,
	"setsockopt": true, "getsockopt": true, "fcntl": true,
}

// sockopts the runner understands, and how.
var sockoptKnob = map[string]string{
	"TCP_USER_TIMEOUT": "user_timeout",       // milliseconds
	"TCP_LINGER2":      "fin_wait_2_timeout", // seconds
	"TCP_SYNCNT":       "syn_retries",
	"TCP_MAXSEG":       "mss",
}

var sockoptNoEffect = map[string]string{
	"SO_REUSEADDR": "SO_REUSEADDR has no effect: the emulator never refuses a bind for a TIME-WAIT connection",
	"TCP_NODELAY":  "TCP_NODELAY has no effect: the emulator has no Nagle algorithm and sends at once",
}

// Check lists what a script uses that the runner cannot do, before it runs.
func Check(s *Script) []Unsupported {
	var out []Unsupported
	add := func(pos Pos, format string, args ...any) {
		out = append(out, Unsupported{Pos: pos, What: fmt.Sprintf(format, args...)})
	}
	for _, ev := range s.Events {
		if ev.Kind != EventSyscall {
			continue
		}
		sc := ev.Syscall
		if !syscallNames[sc.Name] {
			add(ev.Pos, "system call %s()", sc.Name)
			continue
		}
		arg := func(i int) Expr {
			if i < len(sc.Args) {
				return sc.Args[i]
			}
			return Expr{Kind: ExprEllipsis}
		}
		switch sc.Name {
		case "socket":
			if a := arg(0); a.Kind == ExprName && a.Name != "AF_INET" && a.Name != "PF_INET" {
				add(a.Pos, "address family %s (scripts run over IPv4: AF_INET or ...)", a.Name)
			}
			if a := arg(1); a.Kind == ExprName && a.Name != "SOCK_STREAM" {
				add(a.Pos, "socket type %s (only SOCK_STREAM)", a.Name)
			}
			if a := arg(2); a.Kind == ExprName && a.Name != "IPPROTO_TCP" {
				add(a.Pos, "protocol %s (only IPPROTO_TCP)", a.Name)
			}
		case "setsockopt", "getsockopt":
			o := arg(2)
			name := o.Name
			_, knob := sockoptKnob[name]
			_, noop := sockoptNoEffect[name]
			ok := knob || noop || name == "SO_LINGER" || (sc.Name == "getsockopt" && name == "SO_ERROR")
			if !ok {
				add(o.Pos, "%s option %s", sc.Name, name)
			}
			if name == "SO_LINGER" && sc.Name == "setsockopt" {
				v := arg(3)
				if v.Kind == ExprStruct && intField(v, "l_onoff") != 0 && intField(v, "l_linger") != 0 {
					add(v.Pos, "SO_LINGER with a non-zero l_linger (a close() that blocks) is not modelled")
				}
			}
		case "fcntl":
			if c := arg(1); c.Name != "F_SETFL" && c.Name != "F_GETFL" {
				add(c.Pos, "fcntl command %s (only F_SETFL and F_GETFL)", c.Name)
			}
		case "recv", "send":
			f := arg(3)
			dontwait := sc.Name == "recv" && f.Kind == ExprName && f.Name == "MSG_DONTWAIT"
			if !(f.Kind == ExprInt && f.Int == 0) && f.Kind != ExprEllipsis && !dontwait {
				add(f.Pos, "%s flags %s (only 0, and MSG_DONTWAIT for recv)", sc.Name, exprText(f))
			}
		}
	}
	return out
}

func intField(e Expr, name string) int64 {
	if f, ok := e.Fields[name]; ok && f.Kind == ExprInt {
		return f.Int
	}
	return -1
}

// intArg is a list's first integer ([1]) or an integer.
func intArg(e Expr) (int64, bool) {
	switch e.Kind {
	case ExprInt:
		return e.Int, true
	case ExprList:
		if len(e.Items) == 1 && e.Items[0].Kind == ExprInt {
			return e.Items[0].Int, true
		}
	}
	return 0, false
}
