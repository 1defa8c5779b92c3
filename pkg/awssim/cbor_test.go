package awssim

import (
	"encoding/hex"
	"math"
	"reflect"
	"testing"
	"time"
)

// Decoding the examples of RFC 8949, Appendix A, that the codec supports.
func TestCBORDecodeRFC8949Examples(t *testing.T) {
	for hexIn, want := range map[string]any{
		"00": int64(0), "17": int64(23), "1818": int64(24), "1903e8": int64(1000), "1a000f4240": int64(1000000),
		"1b000000e8d4a51000": int64(1000000000000), "1bffffffffffffffff": uint64(math.MaxUint64),
		"20": int64(-1), "3863": int64(-100), "3903e7": int64(-1000),
		"f90000": 0.0, "f93c00": 1.0, "f93e00": 1.5, "f97bff": 65504.0, "f90001": 5.960464477539063e-8,
		"fa47c35000": 100000.0, "fb3ff199999999999a": 1.1, "fbc010666666666666": -4.1,
		"f4": false, "f5": true, "f6": nil,
		"60": "", "6161": "a", "6449455446": "IETF", "62225c": "\"\\", "63e6b0b4": "水",
		"40": []byte{}, "4401020304": []byte{1, 2, 3, 4},
		"80": []any{}, "83010203": []any{int64(1), int64(2), int64(3)},
		"8301820203820405":     []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}},
		"a0":                   map[string]any{},
		"a26161016162820203":   map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}},
		"c11a514b67b0":         time.Unix(1363896240, 0).UTC(),
		"c1fb41d452d9ec200000": time.Unix(1363896240, 500*int64(time.Millisecond)).UTC(),
		// Indefinite lengths.
		"5f42010243030405ff":         []byte{1, 2, 3, 4, 5},
		"7f657374726561646d696e67ff": "streaming",
		"9fff":                       []any{},
		"9f018202039f0405ffff":       []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}},
		"bf61610161629f0203ffff":     map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}},
	} {
		in, err := hex.DecodeString(hexIn)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cborDecode(in)
		if err != nil {
			t.Errorf("%s: %v", hexIn, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", hexIn, got, want)
		}
	}
	for _, bad := range []string{"", "18", "62ff", "a1", "a10101", "c201", "ff", "1c", "8201"} {
		in, _ := hex.DecodeString(bad)
		if v, err := cborDecode(in); err == nil {
			t.Errorf("%q decoded to %#v", bad, v)
		}
	}
}

// Encoding writes RFC 8949's preferred (shortest) heads, doubles and
// sorted keys; what it writes decodes to the same value.
func TestCBOREncode(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{int64(0), "00"}, {23, "17"}, {24, "1818"}, {1000, "1903e8"}, {int64(1000000000000), "1b000000e8d4a51000"},
		{-1, "20"}, {-1000, "3903e7"}, {1.1, "fb3ff199999999999a"}, {true, "f5"}, {nil, "f6"},
		{"IETF", "6449455446"}, {[]byte{1, 2}, "420102"},
		{[]any{1, []any{2, 3}}, "8201820203"},
		{map[string]any{"b": 2, "a": 1}, "a2616101616202"},
		{time.Unix(1363896240, 500*int64(time.Millisecond)), "c1fb41d452d9ec200000"},
	} {
		b, err := cborEncode(c.in)
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		if got := hex.EncodeToString(b); got != c.want {
			t.Errorf("%#v = %s, want %s", c.in, got, c.want)
		}
	}
	if _, err := cborEncode(struct{}{}); err == nil {
		t.Error("a struct was encoded")
	}
}
