package awssim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// A small CBOR codec (RFC 8949) for the Smithy RPC v2 CBOR protocol, written
// for awssim so that it does not decode with the SDK's own code what the
// SDK encoded: maps with text keys, arrays, text and byte strings, integers,
// floats (half, single, double), booleans, null, and tag 1 (epoch
// timestamps). Decoding accepts indefinite lengths; encoding writes
// definite ones, floats as doubles and map keys sorted.

const (
	cborUint   = 0
	cborNegInt = 1
	cborBytes  = 2
	cborText   = 3
	cborArray  = 4
	cborMap    = 5
	cborTag    = 6
	cborSimple = 7
)

// cborDecode decodes one data item: map[string]any, []any, string, []byte,
// int64 (or uint64 when larger), float64, bool, nil, or time.Time (tag 1).
func cborDecode(b []byte) (any, error) {
	d := cborDecoder{b: b}
	v, err := d.item()
	if err != nil {
		return nil, err
	}
	if d.i != len(d.b) {
		return nil, fmt.Errorf("cbor: %d bytes after the data item", len(d.b)-d.i)
	}
	return v, nil
}

type cborDecoder struct {
	b     []byte
	i     int
	depth int
}

var errCBORShort = errors.New("cbor: unexpected end of data")

var errCBORBreak = errors.New("cbor: break")

func (d *cborDecoder) byte() (byte, error) {
	if d.i >= len(d.b) {
		return 0, errCBORShort
	}
	c := d.b[d.i]
	d.i++
	return c, nil
}

func (d *cborDecoder) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.b)-d.i) {
		return nil, errCBORShort
	}
	out := d.b[d.i : d.i+int(n)]
	d.i += int(n)
	return out, nil
}

// arg reads the argument of an initial byte; indefinite reports minor 31.
func (d *cborDecoder) arg(minor byte) (n uint64, indefinite bool, err error) {
	switch {
	case minor < 24:
		return uint64(minor), false, nil
	case minor == 24:
		c, err := d.byte()
		return uint64(c), false, err
	case minor == 25, minor == 26, minor == 27:
		size := 1 << (minor - 24)
		p, err := d.take(uint64(size))
		if err != nil {
			return 0, false, err
		}
		switch size {
		case 2:
			return uint64(binary.BigEndian.Uint16(p)), false, nil
		case 4:
			return uint64(binary.BigEndian.Uint32(p)), false, nil
		}
		return binary.BigEndian.Uint64(p), false, nil
	case minor == 31:
		return 0, true, nil
	}
	return 0, false, fmt.Errorf("cbor: reserved additional information %d", minor)
}

func (d *cborDecoder) item() (any, error) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > 64 {
		return nil, errors.New("cbor: nested too deeply")
	}
	ib, err := d.byte()
	if err != nil {
		return nil, err
	}
	major, minor := ib>>5, ib&0x1f
	if major == cborSimple {
		return d.simple(minor)
	}
	n, indefinite, err := d.arg(minor)
	if err != nil {
		return nil, err
	}
	if indefinite && (major == cborUint || major == cborNegInt || major == cborTag) {
		return nil, fmt.Errorf("cbor: major type %d cannot be indefinite", major)
	}
	switch major {
	case cborUint:
		if n > math.MaxInt64 {
			return n, nil
		}
		return int64(n), nil
	case cborNegInt:
		if n > math.MaxInt64 {
			return nil, errors.New("cbor: negative integer out of range")
		}
		return -1 - int64(n), nil
	case cborBytes, cborText:
		var s []byte
		if indefinite {
			for {
				chunk, err := d.item()
				if err == errCBORBreak {
					break
				}
				if err != nil {
					return nil, err
				}
				switch c := chunk.(type) {
				case []byte:
					s = append(s, c...)
				case string:
					s = append(s, c...)
				default:
					return nil, errors.New("cbor: bad chunk of an indefinite string")
				}
			}
		} else if s, err = d.take(n); err != nil {
			return nil, err
		}
		if major == cborText {
			return string(s), nil
		}
		return append([]byte{}, s...), nil
	case cborArray:
		list := []any{}
		for k := uint64(0); indefinite || k < n; k++ {
			v, err := d.item()
			if indefinite && err == errCBORBreak {
				break
			}
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case cborMap:
		m := map[string]any{}
		for k := uint64(0); indefinite || k < n; k++ {
			key, err := d.item()
			if indefinite && err == errCBORBreak {
				break
			}
			if err != nil {
				return nil, err
			}
			ks, ok := key.(string)
			if !ok {
				return nil, fmt.Errorf("cbor: map key %v is not text", key)
			}
			v, err := d.item()
			if err != nil {
				return nil, err
			}
			m[ks] = v
		}
		return m, nil
	case cborTag:
		v, err := d.item()
		if err != nil {
			return nil, err
		}
		if n != 1 {
			return nil, fmt.Errorf("cbor: tag %d is not supported", n)
		}
		switch t := v.(type) {
		case int64:
			return time.Unix(t, 0).UTC(), nil
		case float64:
			sec, frac := math.Modf(t)
			return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), nil
		}
		return nil, fmt.Errorf("cbor: tag 1 holds %T, want a number", v)
	}
	return nil, fmt.Errorf("cbor: major type %d", major)
}

func (d *cborDecoder) simple(minor byte) (any, error) {
	switch minor {
	case 20:
		return false, nil
	case 21:
		return true, nil
	case 22, 23:
		return nil, nil
	case 25:
		p, err := d.take(2)
		if err != nil {
			return nil, err
		}
		return halfToFloat(binary.BigEndian.Uint16(p)), nil
	case 26:
		p, err := d.take(4)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(p))), nil
	case 27:
		p, err := d.take(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(p)), nil
	case 31:
		return nil, errCBORBreak
	}
	return nil, fmt.Errorf("cbor: simple value %d is not supported", minor)
}

// halfToFloat converts an IEEE 754 half-precision float.
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 31:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// cborEncode encodes v: map[string]any, []any, string, []byte, bool, nil,
// the integer types, float64 and time.Time (tag 1, epoch seconds as a
// double). Slices of other types and structs are not supported.
func cborEncode(v any) ([]byte, error) {
	var b []byte
	var enc func(v any) error
	head := func(major byte, n uint64) {
		switch {
		case n < 24:
			b = append(b, major<<5|byte(n))
		case n <= math.MaxUint8:
			b = append(b, major<<5|24, byte(n))
		case n <= math.MaxUint16:
			b = binary.BigEndian.AppendUint16(append(b, major<<5|25), uint16(n))
		case n <= math.MaxUint32:
			b = binary.BigEndian.AppendUint32(append(b, major<<5|26), uint32(n))
		default:
			b = binary.BigEndian.AppendUint64(append(b, major<<5|27), n)
		}
	}
	integer := func(n int64) {
		if n >= 0 {
			head(cborUint, uint64(n))
		} else {
			head(cborNegInt, uint64(-1-n))
		}
	}
	enc = func(v any) error {
		switch t := v.(type) {
		case nil:
			b = append(b, 0xf6)
		case bool:
			if t {
				b = append(b, 0xf5)
			} else {
				b = append(b, 0xf4)
			}
		case int:
			integer(int64(t))
		case int32:
			integer(int64(t))
		case int64:
			integer(t)
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, 0xfb), math.Float64bits(t))
		case string:
			head(cborText, uint64(len(t)))
			b = append(b, t...)
		case []byte:
			head(cborBytes, uint64(len(t)))
			b = append(b, t...)
		case time.Time:
			head(cborTag, 1)
			return enc(float64(t.UnixMilli()) / 1000)
		case []any:
			head(cborArray, uint64(len(t)))
			for _, e := range t {
				if err := enc(e); err != nil {
					return err
				}
			}
		case []map[string]any:
			head(cborArray, uint64(len(t)))
			for _, e := range t {
				if err := enc(e); err != nil {
					return err
				}
			}
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			head(cborMap, uint64(len(t)))
			for _, k := range keys {
				head(cborText, uint64(len(k)))
				b = append(b, k...)
				if err := enc(t[k]); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("cbor: cannot encode %T", v)
		}
		return nil
	}
	if err := enc(v); err != nil {
		return nil, err
	}
	return b, nil
}
