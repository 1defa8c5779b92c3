package state

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Cond is a condition on the item at a write's key, rendered as a
// DynamoDB ConditionExpression with placeholder names and values.
type Cond struct {
	render func(*builder) string
}

// Absent holds when no live item is at the key: none at all, or one whose
// expires has passed (TTL deletes late). It is the condition of a record
// written once (an idempotency record, a first claim).
func Absent() Cond {
	return Cond{func(b *builder) string {
		return "(attribute_not_exists(" + b.name(AttrPK) + ") OR " + b.name(AttrExpires) + " <= " + b.now() + ")"
	}}
}

// Present holds when a live item is at the key.
func Present() Cond {
	return Cond{func(b *builder) string {
		return "(attribute_exists(" + b.name(AttrPK) + ") AND (attribute_not_exists(" + b.name(AttrExpires) + ") OR " +
			b.name(AttrExpires) + " > " + b.now() + "))"
	}}
}

// Has holds when the item has the attribute; Lacks when it has not.
func Has(attr string) Cond {
	return Cond{func(b *builder) string { return "attribute_exists(" + b.name(attr) + ")" }}
}

// Lacks holds when the item has no attribute attr.
func Lacks(attr string) Cond {
	return Cond{func(b *builder) string { return "attribute_not_exists(" + b.name(attr) + ")" }}
}

// Equal holds when attribute attr equals v (marshalled by attributevalue).
func Equal(attr string, v any) Cond { return compare(attr, "=", v) }

// NotEqual holds when attr is absent or differs from v.
func NotEqual(attr string, v any) Cond { return compare(attr, "<>", v) }

// Less holds when attr is below v (numbers by value, strings by UTF-8
// bytes); an absent attribute compares false.
func Less(attr string, v any) Cond { return compare(attr, "<", v) }

// LessOrEqual holds when attr ≤ v.
func LessOrEqual(attr string, v any) Cond { return compare(attr, "<=", v) }

// Greater holds when attr is above v.
func Greater(attr string, v any) Cond { return compare(attr, ">", v) }

// GreaterOrEqual holds when attr ≥ v.
func GreaterOrEqual(attr string, v any) Cond { return compare(attr, ">=", v) }

func compare(attr, op string, v any) Cond {
	return Cond{func(b *builder) string {
		av, err := attributevalue.Marshal(v)
		if err != nil {
			b.err = fmt.Errorf("condition on %s: marshal %v: %w", attr, v, err)
			return "1"
		}
		return b.name(attr) + " " + op + " " + b.valueAttr(av)
	}}
}

// And holds when every c holds.
func And(cs ...Cond) Cond { return joinConds(" AND ", cs) }

// Or holds when some c holds.
func Or(cs ...Cond) Cond { return joinConds(" OR ", cs) }

func joinConds(op string, cs []Cond) Cond {
	return Cond{func(b *builder) string {
		s := "("
		for i, c := range cs {
			if i > 0 {
				s += op
			}
			s += c.render(b)
		}
		return s + ")"
	}}
}

// expression is a rendered condition.
type expression struct {
	text   string
	names  map[string]string
	values map[string]types.AttributeValue
}

func (c Cond) build(now time.Time) (expression, error) {
	b := newBuilder(now)
	text := c.render(b)
	e := expression{text: text, names: b.names, values: b.values}
	if len(e.values) == 0 {
		e.values = nil
	}
	return e, b.err
}

// builder hands out placeholders: #n0… for names, :v0… for values.
type builder struct {
	at     time.Time
	names  map[string]string
	byName map[string]string
	values map[string]types.AttributeValue
	nowKey string
	err    error
}

func newBuilder(now time.Time) *builder {
	return &builder{at: now, names: map[string]string{}, byName: map[string]string{}, values: map[string]types.AttributeValue{}}
}

func (b *builder) name(n string) string {
	if p, ok := b.byName[n]; ok {
		return p
	}
	p := "#n" + strconv.Itoa(len(b.names))
	b.names[p], b.byName[n] = n, p
	return p
}

func (b *builder) value(s string) string {
	return b.valueAttr(&types.AttributeValueMemberS{Value: s})
}

func (b *builder) valueAttr(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(b.values))
	b.values[p] = v
	return p
}

// now is the placeholder of the current time in epoch seconds.
func (b *builder) now() string {
	if b.nowKey == "" {
		b.nowKey = b.valueAttr(epochAttr(b.at))
	}
	return b.nowKey
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
