package securityhub

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// ASFF field limits (Security Hub API Reference, AwsSecurityFinding and its
// members; "characters" are Unicode characters).
const (
	maxTitle          = 256  // Title: maximum length of 256
	maxDescription    = 1024 // Description: maximum length of 1024
	maxRecommendation = 512  // Remediation.Recommendation.Text: maximum of 512
	maxFieldKey       = 128  // ProductFields: keys up to 128 characters
	maxFieldValue     = 2048 // ProductFields: values up to 2048 characters
	maxFields         = 50   // ProductFields: up to 50 key-value pairs
	maxOtherValue     = 1023 // Resources[].Details.Other: values fewer than 1,024 characters
	maxRequirements   = 32   // Compliance.RelatedRequirements: maximum of 32 items
	// MaxFindingBytes is the largest finding vpcguard sends: BatchImportFindings
	// refuses findings over 240 KB ("The maximum allowed size for a finding
	// is 240 Kb"); vpcguard stays under 240,000 bytes of JSON, the smallest
	// reading of that limit.
	MaxFindingBytes = 240_000
)

// shortenedNote ends every text vpcguard shortened.
const shortenedNote = " [shortened by vpcguard]"

// fit makes f meet every field limit and MaxFindingBytes by shortening text
// (with shortenedNote), never the Id, and records what it shortened in
// ProductFields["vpcguard/Shortened"]. A remediation too long for
// Recommendation.Text is kept whole, as far as it fits, in
// ProductFields["vpcguard/Fix"].
func fit(f *types.AwsSecurityFinding) {
	var shortened []string
	note := func(what string) {
		for _, s := range shortened {
			if s == what {
				return
			}
		}
		shortened = append(shortened, what)
	}
	clipField := func(p **string, limit int, what string) {
		if *p != nil && utf8.RuneCountInString(**p) > limit {
			*p = aws.String(clip(**p, limit))
			note(what)
		}
	}
	clipField(&f.Title, maxTitle, "Title")
	clipField(&f.Description, maxDescription, "Description")
	if f.Remediation != nil && f.Remediation.Recommendation != nil {
		r := f.Remediation.Recommendation
		if full := aws.ToString(r.Text); utf8.RuneCountInString(full) > maxRecommendation {
			if f.ProductFields == nil {
				f.ProductFields = map[string]string{}
			}
			f.ProductFields["vpcguard/Fix"] = clip(full, maxFieldValue)
			r.Text = aws.String(clip(full, maxRecommendation-len(" (whole text: ProductFields vpcguard/Fix)")) + " (whole text: ProductFields vpcguard/Fix)")
			note("Remediation.Recommendation.Text")
		}
	}
	if f.Compliance != nil && len(f.Compliance.RelatedRequirements) > maxRequirements {
		f.Compliance.RelatedRequirements = f.Compliance.RelatedRequirements[:maxRequirements]
		note("Compliance.RelatedRequirements")
	}
	for k, v := range f.ProductFields {
		if utf8.RuneCountInString(k) > maxFieldKey {
			delete(f.ProductFields, k)
			k = clip(k, maxFieldKey)
			note("ProductFields keys")
		}
		if utf8.RuneCountInString(v) > maxFieldValue {
			v = clip(v, maxFieldValue)
			note("ProductFields")
		}
		f.ProductFields[k] = v
	}
	for i := range f.Resources {
		if d := f.Resources[i].Details; d != nil {
			for k, v := range d.Other {
				if utf8.RuneCountInString(v) > maxOtherValue {
					d.Other[k] = clip(v, maxOtherValue)
					note("Resources[].Details.Other")
				}
			}
		}
	}

	// The size limit: halve the longest text until the finding fits, then
	// drop related resources from the end (never the subject, never the Id).
	// The target leaves room for the vpcguard/Shortened note.
	target := MaxFindingBytes - maxFieldKey - maxFieldValue - 16
	for size := boundedSize(f); size > MaxFindingBytes; size = Size(*f) {
		texts := textsOf(f)
		lengths := make([]int, len(texts))
		for i, t := range texts {
			lengths[i] = len(t.get())
		}
		cut := false
		for excess := size - target; excess > 0; {
			best := -1
			for i, n := range lengths {
				if n > 4*len(shortenedNote) && (best < 0 || n > lengths[best]) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			before := texts[best].get()
			after := clip(before, utf8.RuneCountInString(before)/2)
			texts[best].set(after)
			lengths[best] = len(after)
			excess -= len(before) - len(after)
			note(texts[best].name)
			cut = true
		}
		if cut {
			continue
		}
		if len(f.Resources) <= 1 {
			break
		}
		f.Resources = f.Resources[:len(f.Resources)-1]
		note("Resources")
	}

	if len(shortened) > 0 {
		if f.ProductFields == nil {
			f.ProductFields = map[string]string{}
		}
		f.ProductFields["vpcguard/Shortened"] = clip(strings.Join(shortened, ", "), maxFieldValue)
	}
	if len(f.ProductFields) > maxFields {
		for _, k := range sortedKeys(f.ProductFields)[maxFields:] {
			delete(f.ProductFields, k)
		}
	}
}

// text is one shortenable text field of a finding.
type text struct {
	name string
	get  func() string
	set  func(string)
}

// textsOf lists the texts the size limit may shorten: the description, the
// recommendation, the ProductFields values and the Details.Other values.
func textsOf(f *types.AwsSecurityFinding) []text {
	var texts []text
	if f.Description != nil {
		texts = append(texts, text{"Description", func() string { return *f.Description }, func(v string) { f.Description = aws.String(v) }})
	}
	if f.Remediation != nil && f.Remediation.Recommendation != nil && f.Remediation.Recommendation.Text != nil {
		r := f.Remediation.Recommendation
		texts = append(texts, text{"Remediation.Recommendation.Text", func() string { return *r.Text }, func(v string) { r.Text = aws.String(v) }})
	}
	for _, k := range sortedKeys(f.ProductFields) {
		texts = append(texts, text{"ProductFields", func() string { return f.ProductFields[k] }, func(v string) { f.ProductFields[k] = v }})
	}
	for i := range f.Resources {
		if d := f.Resources[i].Details; d != nil {
			for _, k := range sortedKeys(d.Other) {
				texts = append(texts, text{"Resources[].Details.Other", func() string { return d.Other[k] }, func(v string) { d.Other[k] = v }})
			}
		}
	}
	return texts
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// clip shortens s to at most limit characters, ending with shortenedNote
// when anything was cut, and never splits a character.
func clip(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	keep := limit - utf8.RuneCountInString(shortenedNote)
	if keep <= 0 {
		return string([]rune(s)[:limit])
	}
	return string([]rune(s)[:keep]) + shortenedNote
}

// boundedSize is Size(*f) when f may be over MaxFindingBytes, else an
// upper bound of it (sizeBound), read without encoding f: nearly every
// finding is far under the limit, and a sweep renders one per check and
// resource.
func boundedSize(f *types.AwsSecurityFinding) int {
	if b := sizeBound(reflect.ValueOf(*f)); b <= MaxFindingBytes {
		return b
	}
	return Size(*f)
}

// sizeBound is at least the size of v's JSON as Size counts it: each
// string as if every byte were escaped (\u00XX) with its quotes, each
// member name with its quotes, colon and comma (even for a member Size
// leaves out), each other scalar at 24 bytes (the longest number).
func sizeBound(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return sizeBound(v.Elem())
	case reflect.Struct:
		n, t := 2, v.Type()
		for i := 0; i < v.NumField(); i++ {
			if t.Field(i).IsExported() {
				n += len(t.Field(i).Name) + 4 + sizeBound(v.Field(i))
			}
		}
		return n
	case reflect.Slice:
		n := 2
		for i := 0; i < v.Len(); i++ {
			n += sizeBound(v.Index(i)) + 1
		}
		return n
	case reflect.Map:
		n := 2
		for iter := v.MapRange(); iter.Next(); {
			n += 6*iter.Key().Len() + 4 + sizeBound(iter.Value())
		}
		return n
	case reflect.String:
		return 6*v.Len() + 2
	}
	return 24
}

// Size is the size of f's JSON as the SDK sends it: members that are nil or
// empty are left out, as the rest-json serializer does.
func Size(f types.AwsSecurityFinding) int {
	b, err := json.Marshal(compact(reflect.ValueOf(f)))
	if err != nil {
		return MaxFindingBytes + 1
	}
	return len(b)
}

// compact turns an SDK value into plain JSON values without its nil and
// empty members.
func compact(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return compact(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			if c := compact(v.Field(i)); c != nil {
				m[t.Field(i).Name] = c
			}
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = compact(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		m := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			m[iter.Key().String()] = compact(iter.Value())
		}
		return m
	case reflect.String:
		if v.Len() == 0 && v.Type() != reflect.TypeOf("") {
			return nil // an unset enum
		}
		return v.String()
	}
	return v.Interface()
}
