package cloudtrail

// Readers for the JSON that CloudTrail makes of AWS requests and responses,
// EC2's above all (see the package comment for the shapes). They work on the
// generic values of a UseNumber decode, never fail, and return the zero value
// for anything missing, redacted or shaped unexpectedly.

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// decodeJSON decodes raw with numbers kept as json.Number; empty or invalid
// input gives nil.
func decodeJSON(raw json.RawMessage) any {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	return v
}

// redacted reports whether s is a placeholder CloudTrail writes instead of
// the real value.
func redacted(s string) bool {
	return strings.EqualFold(s, "omitted") || s == "HIDDEN_DUE_TO_SECURITY_REASONS"
}

// object returns v as a JSON object, or nil. An object that CloudTrail
// marked as truncated ({"omitted": true, ...}) is nil too: its remaining
// keys are not the data.
func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	if boolean(m["omitted"]) {
		return nil
	}
	return m
}

// field returns the value of the first of names present in m: an exact match
// first, then a case-insensitive one (so vpcConfig and VpcConfig both match).
func field(m map[string]any, names ...string) any {
	for _, n := range names {
		if v, ok := m[n]; ok {
			return v
		}
	}
	for _, n := range names {
		best, found := "", false
		for k := range m {
			if strings.EqualFold(k, n) && (!found || k < best) { // the smallest, so ties are deterministic
				best, found = k, true
			}
		}
		if found {
			return m[best]
		}
	}
	return nil
}

// str returns a scalar as a string: strings, numbers and booleans as
// written, and a list element {"content": x, "tag": n} as x. Redacted
// placeholders and everything else give "".
func str(v any) string {
	switch v := v.(type) {
	case string:
		if redacted(v) {
			return ""
		}
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		if c, ok := v["content"]; ok {
			return str(c)
		}
	}
	return ""
}

// strs flattens every encoding CloudTrail uses for a list of strings: a
// plain string, an array, {"content": x, "tag": n} alone or in an array,
// XML-derived sets {"item": x} and {"item": [...]}, old-style
// {"items": [{"routeTableId": x}]}. An empty set ("" or {}) is nil.
func strs(v any) []string {
	switch v := v.(type) {
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, strs(e)...)
		}
		return out
	case map[string]any:
		if _, ok := v["content"]; ok {
			return strs(str(v))
		}
		if it := field(v, "item", "items"); it != nil {
			return strs(it)
		}
		// One-field wrappers such as {"routeTableId": x}; "tag" and "xmlns"
		// are bookkeeping, not data.
		var only any
		n := 0
		for k, e := range v {
			if k != "tag" && k != "xmlns" {
				only, n = e, n+1
			}
		}
		if n == 1 {
			return strs(only)
		}
		return nil
	}
	if s := str(v); s != "" {
		return []string{s}
	}
	return nil
}

// items returns the objects of a list of structures: an array, an XML set
// {"item": x} or {"items": x} where x is one object or an array, or one bare
// object standing for a one-element list.
func items(v any) []map[string]any {
	switch v := v.(type) {
	case []any:
		var out []map[string]any
		for _, e := range v {
			out = append(out, items(e)...)
		}
		return out
	case map[string]any:
		if it := field(v, "item", "items"); it != nil {
			return items(it)
		}
		if m := object(v); len(m) > 0 {
			return []map[string]any{m}
		}
	}
	return nil
}

// boolean reads true or "true"; anything else is false.
func boolean(v any) bool {
	b, _ := strconv.ParseBool(str(v))
	return b
}

// integer reads a whole number written as a number or a string; a missing,
// negative or unreadable value is 0.
func integer(v any) int {
	f, err := strconv.ParseFloat(strings.TrimSpace(str(v)), 64)
	if err != nil || f < 0 || f > math.MaxInt32 || f != math.Trunc(f) {
		return 0
	}
	return int(f)
}

// unwrap returns the parameters of an EC2 request or response. Newer EC2
// actions appear in CloudTrail wrapped, {"CreateVpcEndpointRequest": {...}}
// or {"CreateVpcEndpointResponse": {...}}; the wrapper of an empty request is
// the string "" (giving an empty map); some wrappers are abbreviated
// ({"DelTGwVpcAttachReq": {...}}), so a lone key ending in Request, Req or
// Response is a wrapper too. Old-style requests are not wrapped and come
// back as they are.
func unwrap(v any, op, suffix string) map[string]any {
	m := object(v)
	if w, ok := m[op+suffix]; ok {
		return nonNil(object(w))
	}
	if len(m) == 1 {
		for k, w := range m {
			switch w.(type) {
			case map[string]any, string:
				for _, s := range []string{"Request", "Req", "Response"} {
					if strings.HasSuffix(k, s) {
						return nonNil(object(w))
					}
				}
			}
		}
	}
	return m
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// firstStr returns the first non-empty string among vs.
func firstStr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// firstList returns the first non-empty list among ls.
func firstList(ls ...[]string) []string {
	for _, l := range ls {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}
