// Package policy models IAM resource policies (S3 gateway endpoint policies
// and S3 bucket policies), evaluates them for the one question vpcguard asks
// ("can anyone run s3:GetObject on this ARN through here?"), and builds the
// merge that adds only the missing Amazon Linux repository denies.
//
// Everything here is pure: text in, values out, no AWS calls.
//
// Case rules follow IAM: action names and condition keys and operators are
// case-insensitive; ARNs, resources and element values are case-sensitive;
// the element names themselves (Statement, Effect, ...) must be spelled
// exactly.
//
// The parser is strict on purpose. A document vpcguard cannot read exactly
// (an unknown element, a duplicate key, an Effect of "allow") is an error, so
// a check reports "unknown" and the merge refuses, rather than reasoning about
// something it misunderstood.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrInvalidPolicy is wrapped by every error Parse returns.
var ErrInvalidPolicy = errors.New("invalid policy document")

// Policy language versions. A document without Version is read as
// Version2008 (what IAM does): policy variables are then plain text.
const (
	Version2008 = "2008-10-17"
	Version2012 = "2012-10-17"
)

// Effect is Allow or Deny, spelled exactly.
type Effect string

const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is a parsed policy.
type Document struct {
	// Version is "2008-10-17", "2012-10-17", or "" when the document has none.
	Version string
	// ID is the Id element; HasID tells an absent Id from an empty one.
	ID    string
	HasID bool
	// Statements in document order. Statement.Index is the position here.
	Statements []Statement
	// StatementIsObject is true when Statement was a single object rather
	// than an array.
	StatementIsObject bool

	// The exact bytes of Version and Id, so a merge re-emits them unchanged.
	rawVersion json.RawMessage
	rawID      json.RawMessage
}

// Statement is one statement. Exactly one of Action / NotAction and one of
// Resource / NotResource is non-nil; at most one of Principal / NotPrincipal.
type Statement struct {
	Index        int
	Sid          string
	HasSid       bool
	Effect       Effect
	Principal    *Principal // nil when absent
	NotPrincipal *Principal // nil when absent
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition is nil when the statement has none (an empty Condition
	// object imposes nothing and is read as none).
	Condition Condition
	// Raw is the statement exactly as it appeared in the document.
	Raw json.RawMessage
}

// Principal is "*" or a map of principal type (AWS, Service, CanonicalUser,
// Federated) to values.
type Principal struct {
	Wildcard bool                // the string "*"
	Entries  map[string][]string // type → values, when not Wildcard
}

// isPrincipalType: the principal types IAM knows.
func isPrincipalType(t string) bool {
	switch t {
	case "AWS", "Service", "CanonicalUser", "Federated":
		return true
	}
	return false
}

// Everyone reports whether the principal is every caller, anonymous ones
// included: "*" or {"AWS":"*"} (also inside a list).
func (p *Principal) Everyone() bool {
	if p == nil {
		return false
	}
	if p.Wildcard {
		return true
	}
	for _, v := range p.Entries["AWS"] {
		if v == "*" {
			return true
		}
	}
	return false
}

// String renders the principal for messages.
func (p *Principal) String() string {
	if p == nil {
		return "(none)"
	}
	if p.Wildcard {
		return `"*"`
	}
	b, _ := json.Marshal(p.Entries)
	return string(b)
}

// Condition is operator → key → values, as written. Values that are JSON
// booleans or numbers are kept as their literal text ("true", "443").
type Condition map[string]map[string][]string

// Values returns the values of key under operator, both matched without
// regard to case, and whether the pair is present.
func (c Condition) Values(operator, key string) ([]string, bool) {
	for op, keys := range c {
		if !strings.EqualFold(op, operator) {
			continue
		}
		for k, vals := range keys {
			if strings.EqualFold(k, key) {
				return vals, true
			}
		}
	}
	return nil, false
}

// Label names the statement for messages: `Statement[2] (Sid "X")`.
func (s *Statement) Label() string {
	if s.HasSid && s.Sid != "" {
		return fmt.Sprintf("Statement[%d] (Sid %q)", s.Index, s.Sid)
	}
	return fmt.Sprintf("Statement[%d]", s.Index)
}

// Parse reads a policy document. Its errors wrap ErrInvalidPolicy and say
// which statement and element are wrong.
func Parse(text string) (*Document, error) {
	data := []byte(text)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid("the document is empty")
	}
	if !json.Valid(data) {
		// Say where, using the decoder's own message.
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("malformed JSON")
		}
		return nil, invalid("not JSON: %v", err)
	}
	fields, err := objectFields(data)
	if err != nil {
		return nil, invalid("the document must be a JSON object: %v", err)
	}
	doc := &Document{}
	var rawStatement json.RawMessage
	for _, f := range fields {
		switch f.key {
		case "Version":
			var v string
			if json.Unmarshal(f.value, &v) != nil {
				return nil, invalid("Version must be a string")
			}
			if v != Version2008 && v != Version2012 {
				return nil, invalid("Version must be %q or %q, got %q", Version2008, Version2012, v)
			}
			doc.Version, doc.rawVersion = v, f.value
		case "Id":
			var v string
			if json.Unmarshal(f.value, &v) != nil {
				return nil, invalid("Id must be a string")
			}
			doc.ID, doc.HasID, doc.rawID = v, true, f.value
		case "Statement":
			rawStatement = f.value
		default:
			return nil, invalid("unknown top-level element %q (only Version, Id and Statement)", f.key)
		}
	}
	if rawStatement == nil {
		return nil, invalid("no Statement element")
	}
	var raws []json.RawMessage
	switch rawStatement[0] {
	case '{':
		doc.StatementIsObject = true
		raws = []json.RawMessage{rawStatement}
	case '[':
		raws, err = arrayElements(rawStatement)
		if err != nil {
			return nil, invalid("Statement: %v", err)
		}
	default:
		return nil, invalid("Statement must be an object or an array of objects")
	}
	if len(raws) == 0 {
		return nil, invalid("Statement is an empty array")
	}
	for i, raw := range raws {
		st, err := parseStatement(i, raw)
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPolicy, fmt.Sprintf(format, args...))
}

func parseStatement(i int, raw json.RawMessage) (Statement, error) {
	st := Statement{Index: i, Raw: raw}
	bad := func(format string, args ...any) error {
		where := fmt.Sprintf("Statement[%d]", i)
		if st.HasSid && st.Sid != "" {
			where += fmt.Sprintf(" (Sid %q)", st.Sid)
		}
		return invalid("%s: %s", where, fmt.Sprintf(format, args...))
	}
	if raw[0] != '{' {
		return st, bad("a statement must be a JSON object")
	}
	fields, err := objectFields(raw)
	if err != nil {
		return st, bad("%v", err)
	}
	// Read Sid first so that later errors can name it.
	for _, f := range fields {
		if f.key == "Sid" {
			if json.Unmarshal(f.value, &st.Sid) != nil {
				return st, bad("Sid must be a string")
			}
			st.HasSid = true
		}
	}
	hasEffect := false
	for _, f := range fields {
		switch f.key {
		case "Sid":
		case "Effect":
			var e string
			if json.Unmarshal(f.value, &e) != nil {
				return st, bad("Effect must be a string")
			}
			if Effect(e) != Allow && Effect(e) != Deny {
				return st, bad(`Effect must be "Allow" or "Deny", got %q`, e)
			}
			st.Effect, hasEffect = Effect(e), true
		case "Principal", "NotPrincipal":
			p, err := parsePrincipal(f.value)
			if err != nil {
				return st, bad("%s: %v", f.key, err)
			}
			if f.key == "Principal" {
				st.Principal = p
			} else {
				st.NotPrincipal = p
			}
		case "Action", "NotAction", "Resource", "NotResource":
			list, err := stringOrList(f.value)
			if err != nil {
				return st, bad("%s: %v", f.key, err)
			}
			switch f.key {
			case "Action":
				st.Action = list
			case "NotAction":
				st.NotAction = list
			case "Resource":
				st.Resource = list
			case "NotResource":
				st.NotResource = list
			}
		case "Condition":
			c, err := parseCondition(f.value)
			if err != nil {
				return st, bad("Condition: %v", err)
			}
			st.Condition = c
		default:
			return st, bad("unknown element %q", f.key)
		}
	}
	switch {
	case !hasEffect:
		return st, bad("no Effect")
	case st.Action != nil && st.NotAction != nil:
		return st, bad("has both Action and NotAction")
	case st.Action == nil && st.NotAction == nil:
		return st, bad("has neither Action nor NotAction")
	case st.Resource != nil && st.NotResource != nil:
		return st, bad("has both Resource and NotResource")
	case st.Resource == nil && st.NotResource == nil:
		return st, bad("has neither Resource nor NotResource")
	case st.Principal != nil && st.NotPrincipal != nil:
		return st, bad("has both Principal and NotPrincipal")
	}
	return st, nil
}

func parsePrincipal(raw json.RawMessage) (*Principal, error) {
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		if s != "*" {
			return nil, fmt.Errorf(`a string principal must be "*", got %q (name specific principals as {"AWS": ...})`, s)
		}
		return &Principal{Wildcard: true}, nil
	case '{':
		fields, err := objectFields(raw)
		if err != nil {
			return nil, err
		}
		if len(fields) == 0 {
			return nil, errors.New("empty principal object")
		}
		p := &Principal{Entries: map[string][]string{}}
		for _, f := range fields {
			if !isPrincipalType(f.key) {
				return nil, fmt.Errorf("unknown principal type %q (AWS, Service, CanonicalUser or Federated)", f.key)
			}
			vals, err := stringOrList(f.value)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", f.key, err)
			}
			p.Entries[f.key] = vals
		}
		return p, nil
	}
	return nil, errors.New(`must be "*" or an object such as {"AWS": "..."}`)
}

// stringOrList reads "x" or ["x", ...]: non-empty strings, at least one.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var list []string
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		list = []string{s}
	case '[':
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errors.New("must be a string or a list of strings")
		}
		if len(list) == 0 {
			return nil, errors.New("empty list")
		}
	default:
		return nil, errors.New("must be a string or a list of strings")
	}
	for _, s := range list {
		if s == "" {
			return nil, errors.New("empty string")
		}
	}
	return list, nil
}

// parseCondition reads {operator: {key: value-or-list}}; values may be
// strings, booleans or numbers.
func parseCondition(raw json.RawMessage) (Condition, error) {
	if raw[0] != '{' {
		return nil, errors.New("must be an object")
	}
	ops, err := objectFields(raw)
	if err != nil {
		return nil, err
	}
	c := Condition{}
	for _, op := range ops {
		if op.value[0] != '{' {
			return nil, fmt.Errorf("%s must map condition keys to values", op.key)
		}
		keys, err := objectFields(op.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", op.key, err)
		}
		m := map[string][]string{}
		for _, k := range keys {
			vals, err := conditionValues(k.value)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %v", op.key, k.key, err)
			}
			m[k.key] = vals
		}
		if len(m) > 0 {
			c[op.key] = m
		}
	}
	if len(c) == 0 {
		return nil, nil
	}
	return c, nil
}

func conditionValues(raw json.RawMessage) ([]string, error) {
	scalar := func(r json.RawMessage) (string, error) {
		switch {
		case r[0] == '"':
			var s string
			_ = json.Unmarshal(r, &s)
			return s, nil
		case string(r) == "true" || string(r) == "false":
			return string(r), nil
		case r[0] == '-' || (r[0] >= '0' && r[0] <= '9'):
			return string(r), nil
		}
		return "", errors.New("values must be strings, booleans or numbers")
	}
	if raw[0] != '[' {
		s, err := scalar(raw)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	elems, err := arrayElements(raw)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		s, err := scalar(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// field is one member of a JSON object, its value exactly as written.
type field struct {
	key   string
	value json.RawMessage
}

// objectFields reads a JSON object's members in order, rejecting duplicate
// keys (encoding/json would silently keep the last one).
func objectFields(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not an object")
	}
	var out []field
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("malformed object")
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, field{key: key, value: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return out, nil
}

// arrayElements splits a JSON array into its elements, each exactly as
// written.
func arrayElements(data []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errors.New("not an array")
	}
	var out []json.RawMessage
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}
