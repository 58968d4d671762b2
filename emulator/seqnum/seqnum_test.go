package seqnum

import "testing"

func TestComparisonAcrossWrap(t *testing.T) {
	cases := []struct {
		v, w Value
		less bool
	}{
		{0, 1, true},
		{1, 0, false},
		{0xffffffff, 0, true}, // 2^32-1 precedes 0 after the wrap
		{0, 0xffffffff, false},
		{0x7fffffff, 0x80000000, true},
		{5, 5, false},
	}
	for _, c := range cases {
		if got := c.v.LessThan(c.w); got != c.less {
			t.Errorf("%d.LessThan(%d) = %v, want %v", c.v, c.w, got, c.less)
		}
		if got := c.w.GreaterThan(c.v); got != c.less {
			t.Errorf("%d.GreaterThan(%d) = %v, want %v", c.w, c.v, got, c.less)
		}
	}
	if !Value(5).LessThanEq(5) || !Value(5).GreaterThanEq(5) {
		t.Error("equal values must satisfy =< and >=")
	}
}

func TestInWindowWrapsAndEmptyWindowHoldsNothing(t *testing.T) {
	first := Value(0xfffffff0)
	for _, c := range []struct {
		v    Value
		size Size
		in   bool
	}{
		{0xfffffff0, 0x20, true},  // left edge
		{0x0000000f, 0x20, true},  // right edge after the wrap
		{0x00000010, 0x20, false}, // one past the right edge
		{0xffffffef, 0x20, false}, // one left of the window
		{0xfffffff0, 0, false},    // a zero window holds no sequence number
	} {
		if got := c.v.InWindow(first, c.size); got != c.in {
			t.Errorf("%#x.InWindow(%#x, %d) = %v, want %v", c.v, first, c.size, got, c.in)
		}
	}
}

func TestArithmeticWraps(t *testing.T) {
	if got := Value(0xffffffff).Add(2); got != 1 {
		t.Errorf("Add wrapped to %d, want 1", got)
	}
	if got := Value(1).Sub(2); got != 0xffffffff {
		t.Errorf("Sub wrapped to %#x, want 0xffffffff", got)
	}
	if got := Value(0xfffffffe).Size(3); got != 5 {
		t.Errorf("Size across the wrap = %d, want 5", got)
	}
	if Max(0xffffffff, 2) != 2 || Min(0xffffffff, 2) != 0xffffffff {
		t.Error("Max/Min must follow sequence order, not integer order")
	}
}
