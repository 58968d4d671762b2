package cmdutil

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// OverrideKeys are the names --set accepts: ProfileOverrides' fields
// (msl, time_wait, syn_retries, rfc5961, ...), in the proto's order.
func OverrideKeys() []string {
	fields := (&pb.ProfileOverrides{}).ProtoReflect().Descriptor().Fields()
	out := make([]string, fields.Len())
	for i := range out {
		out[i] = string(fields.Get(i).Name())
	}
	return out
}

// ParseOverrides reads --set key=value pairs into ProfileOverrides: a
// duration for the timeouts ("30s", "200ms"), a number for counts and
// sizes, true or false for switches. Hyphens may stand for underscores.
// nil when there are none.
func ParseOverrides(pairs []string) (*pb.ProfileOverrides, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	po := &pb.ProfileOverrides{}
	m := po.ProtoReflect()
	fields := m.Descriptor().Fields()
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, Usagef("--set %q: want key=value (msl=30s)", kv)
		}
		fd := fields.ByName(protoreflect.Name(strings.ReplaceAll(strings.TrimSpace(k), "-", "_")))
		if fd == nil {
			return nil, Usagef("--set %q: unknown key %q; known: %s", kv, k, strings.Join(OverrideKeys(), ", "))
		}
		val, err := overrideValue(fd, strings.TrimSpace(v))
		if err != nil {
			return nil, Usagef("--set %s: %v", kv, err)
		}
		m.Set(fd, val)
	}
	return po, nil
}

func overrideValue(fd protoreflect.FieldDescriptor, v string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.MessageKind: // google.protobuf.Duration
		d, err := time.ParseDuration(v)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("want a duration (30s, 200ms)")
		}
		return protoreflect.ValueOfMessage(durationpb.New(d).ProtoReflect()), nil
	case protoreflect.Uint32Kind:
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("want a non-negative number")
		}
		return protoreflect.ValueOfUint32(uint32(n)), nil
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("want true or false")
		}
		return protoreflect.ValueOfBool(b), nil
	}
	return protoreflect.Value{}, fmt.Errorf("cannot set a %v field", fd.Kind())
}
