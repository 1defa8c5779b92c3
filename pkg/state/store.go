package state

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The attributes of the table's contract.
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrExpires = "expires"
)

// ErrConditionFailed is the error of a write whose condition did not hold
// (DynamoDB's ConditionalCheckFailedException); nothing was written.
var ErrConditionFailed = errors.New("condition failed")

// API is the DynamoDB API the store uses; *dynamodb.Client is one.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Key is an item's primary key.
type Key struct {
	PK, SK string
}

func (k Key) String() string { return k.PK + " / " + k.SK }

func (k Key) check() error {
	if k.PK == "" || k.SK == "" {
		return fmt.Errorf("key %q: pk and sk must both be set", k.String())
	}
	return nil
}

func (k Key) attrs() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: k.PK},
		AttrSK: &types.AttributeValueMemberS{Value: k.SK},
	}
}

// Item is one record read from the table: its key, when it expires (zero:
// never) and its attributes, which Decode unmarshals.
type Item struct {
	Key
	Expires time.Time
	attrs   map[string]types.AttributeValue
}

// Decode unmarshals the item's attributes into out (a pointer to a struct
// or map), as attributevalue.UnmarshalMap does; pk, sk and expires are
// left out.
func (it Item) Decode(out any) error {
	rest := make(map[string]types.AttributeValue, len(it.attrs))
	for k, v := range it.attrs {
		if k != AttrPK && k != AttrSK && k != AttrExpires {
			rest[k] = v
		}
	}
	if err := attributevalue.UnmarshalMap(rest, out); err != nil {
		return fmt.Errorf("decode %s: %w", it.Key, err)
	}
	return nil
}

// Store reads and writes records in one table.
type Store struct {
	api   API
	table string
	now   func() time.Time
}

// New returns a store over table.
func New(api API, table string) *Store {
	return &Store{api: api, table: table, now: time.Now}
}

// WithClock returns a copy of s that takes the time (for expiry) from now.
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now = now
	return &c
}

// Table is the table's name.
func (s *Store) Table() string { return s.table }

// WriteOption refines a write.
type WriteOption func(*writeOpts)

type writeOpts struct {
	cond    *Cond
	expires time.Time
}

// If makes the write conditional: it happens only when c holds for the item
// at the key (a missing item has no attributes), else ErrConditionFailed.
func If(c Cond) WriteOption { return func(o *writeOpts) { o.cond = &c } }

// ExpiresAt sets the item's TTL (Put and Update): DynamoDB deletes it some
// time after t, and the store treats it as absent from t on.
func ExpiresAt(t time.Time) WriteOption { return func(o *writeOpts) { o.expires = t } }

func options(opts []WriteOption) writeOpts {
	var o writeOpts
	for _, f := range opts {
		f(&o)
	}
	return o
}

// marshalRecord turns record into attributes, refusing the reserved names.
func marshalRecord(key Key, record any) (map[string]types.AttributeValue, error) {
	attrs := map[string]types.AttributeValue{}
	if record != nil {
		var err error
		attrs, err = attributevalue.MarshalMap(record)
		if err != nil {
			return nil, fmt.Errorf("marshal record for %s: %w", key, err)
		}
	}
	for _, name := range []string{AttrPK, AttrSK, AttrExpires} {
		if _, ok := attrs[name]; ok {
			return nil, fmt.Errorf("record for %s: attribute %q is the store's own (use the key or ExpiresAt)", key, name)
		}
	}
	for k, v := range key.attrs() {
		attrs[k] = v
	}
	return attrs, nil
}

func epochAttr(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// Put writes record (a struct or map, marshalled by attributevalue) at key,
// replacing any item there.
func (s *Store) Put(ctx context.Context, key Key, record any, opts ...WriteOption) error {
	if err := key.check(); err != nil {
		return err
	}
	o := options(opts)
	attrs, err := marshalRecord(key, record)
	if err != nil {
		return err
	}
	if !o.expires.IsZero() {
		attrs[AttrExpires] = epochAttr(o.expires)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: attrs}
	if o.cond != nil {
		e, err := o.cond.build(s.now())
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = &e.text, e.names, e.values
	}
	if _, err := s.api.PutItem(ctx, in); err != nil {
		return s.writeErr("put", key, err)
	}
	return nil
}

// Get reads the item at key (strongly consistent). An absent or expired
// item is (Item{}, false, nil).
func (s *Store) Get(ctx context.Context, key Key) (Item, bool, error) {
	if err := key.check(); err != nil {
		return Item{}, false, err
	}
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key.attrs(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Item{}, false, fmt.Errorf("get %s from table %s: %w", key, s.table, err)
	}
	if out.Item == nil {
		return Item{}, false, nil
	}
	it, err := itemFrom(out.Item)
	if err != nil {
		return Item{}, false, err
	}
	if s.expired(it) {
		return Item{}, false, nil
	}
	return it, true, nil
}

// Update is a change to some attributes of an item.
type Update struct {
	Set    map[string]any // attributes to set (marshalled by attributevalue)
	Remove []string       // attributes to remove
}

// Update applies u to the item at key (creating it when absent, unless a
// condition forbids it) and returns the item as it is after the change.
func (s *Store) Update(ctx context.Context, key Key, u Update, opts ...WriteOption) (Item, error) {
	if err := key.check(); err != nil {
		return Item{}, err
	}
	o := options(opts)
	b := newBuilder(s.now())
	var sets, removes []string
	for _, name := range sortedKeys(u.Set) {
		if reserved(name) {
			return Item{}, fmt.Errorf("update %s: attribute %q is the store's own (use the key or ExpiresAt)", key, name)
		}
		v, err := attributevalue.Marshal(u.Set[name])
		if err != nil {
			return Item{}, fmt.Errorf("update %s: marshal %s: %w", key, name, err)
		}
		sets = append(sets, b.name(name)+" = "+b.valueAttr(v))
	}
	if !o.expires.IsZero() {
		sets = append(sets, b.name(AttrExpires)+" = "+b.valueAttr(epochAttr(o.expires)))
	}
	for _, name := range u.Remove {
		if reserved(name) && name != AttrExpires {
			return Item{}, fmt.Errorf("update %s: attribute %q is part of the key", key, name)
		}
		if _, both := u.Set[name]; both {
			return Item{}, fmt.Errorf("update %s: attribute %q is both set and removed", key, name)
		}
		removes = append(removes, b.name(name))
	}
	if len(sets) == 0 && len(removes) == 0 {
		return Item{}, fmt.Errorf("update %s: nothing to set or remove", key)
	}
	expr := ""
	if len(sets) > 0 {
		expr = "SET " + strings.Join(sets, ", ")
	}
	if len(removes) > 0 {
		if expr != "" {
			expr += " "
		}
		expr += "REMOVE " + strings.Join(removes, ", ")
	}
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key.attrs(),
		UpdateExpression: aws.String(expr), ReturnValues: types.ReturnValueAllNew,
	}
	if o.cond != nil {
		in.ConditionExpression = aws.String(o.cond.render(b))
		if b.err != nil {
			return Item{}, fmt.Errorf("update %s: %w", key, b.err)
		}
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = b.names, b.values
	if len(b.values) == 0 {
		in.ExpressionAttributeValues = nil
	}
	out, err := s.api.UpdateItem(ctx, in)
	if err != nil {
		return Item{}, s.writeErr("update", key, err)
	}
	return itemFrom(out.Attributes)
}

// Delete removes the item at key; deleting an absent item is no error
// (unless a condition says otherwise).
func (s *Store) Delete(ctx context.Context, key Key, opts ...WriteOption) error {
	if err := key.check(); err != nil {
		return err
	}
	o := options(opts)
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key.attrs()}
	if o.cond != nil {
		e, err := o.cond.build(s.now())
		if err != nil {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = &e.text, e.names, e.values
	}
	if _, err := s.api.DeleteItem(ctx, in); err != nil {
		return s.writeErr("delete", key, err)
	}
	return nil
}

// Query selects the items of one partition.
type Query struct {
	PK       string
	SKPrefix string // only the items whose sk begins with it ("" = all)
	// Reverse returns the items in descending sk order (default ascending,
	// by UTF-8 bytes).
	Reverse bool
	// PageSize is the most items read per call (DynamoDB's Limit); 0 leaves
	// DynamoDB's own limit of 1 MB a page.
	PageSize int32
}

// Query yields the live items q selects, in sk order, reading page after
// page as the loop asks for more. A failed page yields the error once and
// stops.
func (s *Store) Query(ctx context.Context, q Query) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		if q.PK == "" {
			yield(Item{}, errors.New("query: pk must be set"))
			return
		}
		b := newBuilder(s.now())
		cond := b.name(AttrPK) + " = " + b.value(q.PK)
		if q.SKPrefix != "" {
			cond += " AND begins_with(" + b.name(AttrSK) + ", " + b.value(q.SKPrefix) + ")"
		}
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    aws.String(cond),
			ExpressionAttributeNames:  b.names,
			ExpressionAttributeValues: b.values,
			ConsistentRead:            aws.Bool(true),
			ScanIndexForward:          aws.Bool(!q.Reverse),
		}
		if q.PageSize > 0 {
			in.Limit = aws.Int32(q.PageSize)
		}
		for {
			out, err := s.api.Query(ctx, in)
			if err != nil {
				yield(Item{}, fmt.Errorf("query %s in table %s: %w", q.PK, s.table, err))
				return
			}
			for _, raw := range out.Items {
				it, err := itemFrom(raw)
				if err != nil {
					yield(Item{}, err)
					return
				}
				if s.expired(it) {
					continue
				}
				if !yield(it, nil) {
					return
				}
			}
			if len(out.LastEvaluatedKey) == 0 {
				return
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
}

func (s *Store) expired(it Item) bool {
	return !it.Expires.IsZero() && !s.now().Before(it.Expires)
}

func (s *Store) writeErr(op string, key Key, err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%s %s: %w", op, key, ErrConditionFailed)
	}
	return fmt.Errorf("%s %s in table %s: %w", op, key, s.table, err)
}

// itemFrom reads the key and expiry of a raw item.
func itemFrom(raw map[string]types.AttributeValue) (Item, error) {
	it := Item{attrs: raw}
	pk, okPK := raw[AttrPK].(*types.AttributeValueMemberS)
	sk, okSK := raw[AttrSK].(*types.AttributeValueMemberS)
	if !okPK || !okSK {
		return Item{}, errors.New("item without a string pk and sk: not a state table item")
	}
	it.PK, it.SK = pk.Value, sk.Value
	if v, ok := raw[AttrExpires]; ok {
		n, isN := v.(*types.AttributeValueMemberN)
		if !isN {
			return Item{}, fmt.Errorf("item %s: expires is not a number", it.Key)
		}
		secs, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return Item{}, fmt.Errorf("item %s: expires %q: %w", it.Key, n.Value, err)
		}
		it.Expires = time.Unix(int64(secs), 0)
	}
	return it, nil
}

func reserved(name string) bool {
	return name == AttrPK || name == AttrSK || name == AttrExpires
}
