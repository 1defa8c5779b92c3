package awssim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"
)

// DynamoDB speaks awsJson1_0 (X-Amz-Target: DynamoDB_20120810.<Op>); its
// SigV4 signing name is dynamodb. awssim serves the item calls of the state
// table (pkg/state) on the tables a scenario defines: GetItem, PutItem,
// UpdateItem, DeleteItem, Query and BatchWriteItem, with condition, key
// condition and update expressions, Limit/LastEvaluatedKey paging and the
// 1 MB page limit. Expired items stay until deleted, as DynamoDB's TTL
// deletes them late; pkg/state treats them as absent.

var dynamoDBOps = map[string]handler{
	"GetItem":        (*Server).ddbGetItem,
	"PutItem":        (*Server).ddbPutItem,
	"UpdateItem":     (*Server).ddbUpdateItem,
	"DeleteItem":     (*Server).ddbDeleteItem,
	"Query":          (*Server).ddbQuery,
	"BatchWriteItem": (*Server).ddbBatchWriteItem,
}

// DynamoDBTable is a table of the scenario. Its keys are strings.
type DynamoDBTable struct {
	Name         string `json:"name"`
	PartitionKey string `json:"partitionKey,omitempty"` // default pk
	SortKey      string `json:"sortKey,omitempty"`      // default sk
	TTLAttribute string `json:"ttlAttribute,omitempty"` // informative: awssim never expires items
	// Items are loaded at start, in DynamoDB's JSON (e.g. {"pk":{"S":"a"}}).
	Items []map[string]json.RawMessage `json:"items,omitempty"`
}

// ddbItem is one item: attribute name → AttributeValue as JSON.
type ddbItem map[string]json.RawMessage

type ddbTable struct {
	DynamoDBTable
	parts map[string][]ddbItem // partition key value → items sorted by sort key
}

func (st *state) buildDynamoDB(sc *Scenario, v *validation) {
	st.ddb = map[string]*ddbTable{}
	for i, def := range sc.DynamoDBTables {
		if def.Name == "" {
			v.add("dynamodbTables[%d] has no name", i)
			continue
		}
		if st.ddb[def.Name] != nil {
			v.add("dynamodb table %q is defined twice", def.Name)
			continue
		}
		if def.PartitionKey == "" {
			def.PartitionKey = "pk"
		}
		if def.SortKey == "" {
			def.SortKey = "sk"
		}
		t := &ddbTable{DynamoDBTable: def, parts: map[string][]ddbItem{}}
		for j, it := range def.Items {
			if aerr := t.checkItem(ddbItem(it)); aerr != nil {
				v.add("dynamodb table %s item %d: %s", def.Name, j, aerr.Message)
				continue
			}
			t.put(ddbItem(it))
		}
		t.Items = nil
		st.ddb[def.Name] = t
	}
}

// Items returns the items of a table, in key order (nil: no such table).
func (s *Server) Items(table string) []map[string]json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.st.ddb[table]
	if t == nil {
		return nil
	}
	out := []map[string]json.RawMessage{}
	for _, pk := range slices.Sorted(maps.Keys(t.parts)) {
		for _, it := range t.parts[pk] {
			out = append(out, it.clone())
		}
	}
	return out
}

func (it ddbItem) clone() ddbItem {
	out := make(ddbItem, len(it))
	for k, v := range it {
		out[k] = v
	}
	return out
}

// --- errors -------------------------------------------------------------

func ddbValidation(format string, args ...any) *apiError {
	return errorf(400, "ValidationException", format, args...)
}

var errConditionalCheck = &apiError{Status: 400, Code: "ConditionalCheckFailedException", Message: "The conditional request failed"}

func (s *Server) ddbTable(name string) (*ddbTable, *apiError) {
	if name == "" {
		return nil, ddbValidation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	t := s.st.ddb[name]
	if t == nil {
		return nil, errorf(400, "ResourceNotFoundException", "Requested resource not found")
	}
	return t, nil
}

// --- attribute values ----------------------------------------------------

// avType returns the type of an AttributeValue (S, N, B, BOOL, NULL, SS,
// NS, BS, L, M) and its value as JSON.
func avType(raw json.RawMessage) (string, json.RawMessage, *apiError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) != 1 {
		return "", nil, ddbValidation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	for t, v := range m {
		switch t {
		case "S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M":
			return t, v, nil
		}
		return "", nil, ddbValidation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	return "", nil, nil
}

// checkValue validates one AttributeValue.
func checkValue(raw json.RawMessage) *apiError {
	t, v, aerr := avType(raw)
	if aerr != nil {
		return aerr
	}
	switch t {
	case "S", "B":
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ddbValidation("Supplied AttributeValue has an invalid %s value", t)
		}
		if t == "B" {
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return ddbValidation("Supplied AttributeValue has an invalid binary value")
			}
		}
	case "N":
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ddbValidation("The parameter cannot be converted to a numeric value")
		}
		if _, ok := new(big.Rat).SetString(s); !ok {
			return ddbValidation("The parameter cannot be converted to a numeric value: %s", s)
		}
	case "SS", "NS", "BS":
		var ss []string
		if json.Unmarshal(v, &ss) != nil {
			return ddbValidation("Supplied AttributeValue has an invalid set")
		}
		if len(ss) == 0 {
			return ddbValidation("One or more parameter values were invalid: An number set  may not be empty")
		}
	case "L":
		var l []json.RawMessage
		if json.Unmarshal(v, &l) != nil {
			return ddbValidation("Supplied AttributeValue has an invalid list")
		}
		for _, e := range l {
			if aerr := checkValue(e); aerr != nil {
				return aerr
			}
		}
	case "M":
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return ddbValidation("Supplied AttributeValue has an invalid map")
		}
		for _, e := range m {
			if aerr := checkValue(e); aerr != nil {
				return aerr
			}
		}
	}
	return nil
}

// stringOf returns the string of an S, N or B value ("" and false otherwise).
func stringOf(raw json.RawMessage) (typ, s string) {
	t, v, aerr := avType(raw)
	if aerr != nil {
		return "", ""
	}
	if t == "S" || t == "N" || t == "B" {
		json.Unmarshal(v, &s)
	}
	return t, s
}

// compareAV orders two values of one scalar type: numbers by value,
// strings by UTF-8 bytes, binary by bytes. ok is false for other types or
// a type mismatch.
func compareAV(a, b json.RawMessage) (c int, ok bool) {
	ta, sa := stringOf(a)
	tb, sb := stringOf(b)
	if ta == "" || ta != tb {
		return 0, false
	}
	switch ta {
	case "N":
		x, okx := new(big.Rat).SetString(sa)
		y, oky := new(big.Rat).SetString(sb)
		if !okx || !oky {
			return 0, false
		}
		return x.Cmp(y), true
	case "B":
		x, _ := base64.StdEncoding.DecodeString(sa)
		y, _ := base64.StdEncoding.DecodeString(sb)
		return bytes.Compare(x, y), true
	}
	return strings.Compare(sa, sb), true
}

// equalAV reports whether two values are equal (sets regardless of order).
func equalAV(a, b json.RawMessage) bool {
	if c, ok := compareAV(a, b); ok {
		return c == 0
	}
	ta, va, e1 := avType(a)
	tb, vb, e2 := avType(b)
	if e1 != nil || e2 != nil || ta != tb {
		return false
	}
	var x, y any
	if json.Unmarshal(va, &x) != nil || json.Unmarshal(vb, &y) != nil {
		return false
	}
	if ta == "SS" || ta == "NS" || ta == "BS" {
		xs, ys := toStrings(x), toStrings(y)
		sort.Strings(xs)
		sort.Strings(ys)
		return slices.Equal(xs, ys)
	}
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	return bytes.Equal(xj, yj)
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// size approximates DynamoDB's item size: names plus values.
func (it ddbItem) size() int {
	n := 0
	for k, v := range it {
		n += len(k) + len(v)
	}
	return n
}

// --- keys and the table ---------------------------------------------------

// keyOf reads the key of item (which must hold exactly the key when onlyKey).
func (t *ddbTable) keyOf(item ddbItem, onlyKey bool) (pk, sk string, aerr *apiError) {
	if onlyKey && len(item) != 2 {
		return "", "", ddbValidation("The provided key element does not match the schema")
	}
	for _, name := range []string{t.PartitionKey, t.SortKey} {
		raw, ok := item[name]
		if !ok {
			if onlyKey {
				return "", "", ddbValidation("The provided key element does not match the schema")
			}
			return "", "", ddbValidation("One or more parameter values were invalid: Missing the key %s in the item", name)
		}
		typ, s := stringOf(raw)
		if typ != "S" {
			if onlyKey {
				return "", "", ddbValidation("The provided key element does not match the schema")
			}
			return "", "", ddbValidation("One or more parameter values were invalid: Type mismatch for key %s expected: S actual: %s", name, typ)
		}
		if s == "" {
			return "", "", ddbValidation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
		}
		if name == t.PartitionKey {
			pk = s
		} else {
			sk = s
		}
	}
	return pk, sk, nil
}

func (t *ddbTable) checkItem(item ddbItem) *apiError {
	if _, _, aerr := t.keyOf(item, false); aerr != nil {
		return aerr
	}
	for _, v := range item {
		if aerr := checkValue(v); aerr != nil {
			return aerr
		}
	}
	if item.size() > 400*1024 {
		return ddbValidation("Item size has exceeded the maximum allowed size")
	}
	return nil
}

func (t *ddbTable) skOf(it ddbItem) string {
	_, s := stringOf(it[t.SortKey])
	return s
}

// find returns the index of sk in partition pk, and whether it is there.
func (t *ddbTable) find(pk, sk string) (int, bool) {
	items := t.parts[pk]
	i := sort.Search(len(items), func(i int) bool { return t.skOf(items[i]) >= sk })
	return i, i < len(items) && t.skOf(items[i]) == sk
}

func (t *ddbTable) get(pk, sk string) ddbItem {
	if i, ok := t.find(pk, sk); ok {
		return t.parts[pk][i]
	}
	return nil
}

func (t *ddbTable) put(item ddbItem) {
	pk, sk, _ := t.keyOf(item, false)
	i, ok := t.find(pk, sk)
	if ok {
		t.parts[pk][i] = item
		return
	}
	t.parts[pk] = slices.Insert(t.parts[pk], i, item)
}

func (t *ddbTable) delete(pk, sk string) {
	if i, ok := t.find(pk, sk); ok {
		t.parts[pk] = slices.Delete(t.parts[pk], i, i+1)
		if len(t.parts[pk]) == 0 {
			delete(t.parts, pk)
		}
	}
}

// --- requests ---------------------------------------------------------------

// ddbExprInput is what the item calls share.
type ddbExprInput struct {
	TableName                 string
	ConditionExpression       *string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]json.RawMessage
	ReturnValues              string
	// Legacy parameters awssim does not simulate.
	Expected            json.RawMessage
	ConditionalOperator json.RawMessage
}

func (in ddbExprInput) refuseLegacy() *apiError {
	if in.Expected != nil || in.ConditionalOperator != nil {
		return ddbValidation("awssim does not simulate the legacy Expected and ConditionalOperator parameters: use ConditionExpression")
	}
	return nil
}

// condition parses in's ConditionExpression (nil when there is none).
func (in ddbExprInput) condition(p *exprParser) (*condNode, *apiError) {
	if in.ConditionExpression == nil {
		return nil, nil
	}
	if strings.TrimSpace(*in.ConditionExpression) == "" {
		return nil, ddbValidation("Invalid ConditionExpression: The expression can not be empty;")
	}
	return p.parseCondition(*in.ConditionExpression, "ConditionExpression")
}

func returnValues(rv string, allowed ...string) *apiError {
	if rv == "" || rv == "NONE" || slices.Contains(allowed, rv) {
		return nil
	}
	return ddbValidation("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [%s]", rv, strings.Join(append([]string{"NONE"}, allowed...), ", "))
}

func (s *Server) ddbGetItem(c *call) (any, *apiError) {
	var in struct {
		TableName            string
		Key                  ddbItem
		ConsistentRead       bool
		ProjectionExpression *string
		AttributesToGet      []string
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.ProjectionExpression != nil || in.AttributesToGet != nil {
		return nil, ddbValidation("awssim does not simulate projections")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, aerr := s.ddbTable(in.TableName)
	if aerr != nil {
		return nil, aerr
	}
	pk, sk, aerr := t.keyOf(in.Key, true)
	if aerr != nil {
		return nil, aerr
	}
	out := map[string]any{}
	if it := t.get(pk, sk); it != nil {
		out["Item"] = it.clone()
	}
	return out, nil
}

func (s *Server) ddbPutItem(c *call) (any, *apiError) {
	var in struct {
		ddbExprInput
		Item ddbItem
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := in.refuseLegacy(); aerr != nil {
		return nil, aerr
	}
	if aerr := returnValues(in.ReturnValues, "ALL_OLD"); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, aerr := s.ddbTable(in.TableName)
	if aerr != nil {
		return nil, aerr
	}
	p := newExprParser(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	cond, aerr := in.condition(p)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := p.checkUnused(); aerr != nil {
		return nil, aerr
	}
	if aerr := t.checkItem(in.Item); aerr != nil {
		return nil, aerr
	}
	pk, sk, _ := t.keyOf(in.Item, false)
	old := t.get(pk, sk)
	if cond != nil && !cond.eval(old) {
		return nil, errConditionalCheck
	}
	t.put(in.Item.clone())
	out := map[string]any{}
	if in.ReturnValues == "ALL_OLD" && old != nil {
		out["Attributes"] = old
	}
	return out, nil
}

func (s *Server) ddbDeleteItem(c *call) (any, *apiError) {
	var in struct {
		ddbExprInput
		Key ddbItem
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := in.refuseLegacy(); aerr != nil {
		return nil, aerr
	}
	if aerr := returnValues(in.ReturnValues, "ALL_OLD"); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, aerr := s.ddbTable(in.TableName)
	if aerr != nil {
		return nil, aerr
	}
	p := newExprParser(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	cond, aerr := in.condition(p)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := p.checkUnused(); aerr != nil {
		return nil, aerr
	}
	pk, sk, aerr := t.keyOf(in.Key, true)
	if aerr != nil {
		return nil, aerr
	}
	old := t.get(pk, sk)
	if cond != nil && !cond.eval(old) {
		return nil, errConditionalCheck
	}
	t.delete(pk, sk)
	out := map[string]any{}
	if in.ReturnValues == "ALL_OLD" && old != nil {
		out["Attributes"] = old
	}
	return out, nil
}

func (s *Server) ddbUpdateItem(c *call) (any, *apiError) {
	var in struct {
		ddbExprInput
		Key              ddbItem
		UpdateExpression *string
		AttributeUpdates json.RawMessage
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := in.refuseLegacy(); aerr != nil {
		return nil, aerr
	}
	if in.AttributeUpdates != nil {
		return nil, ddbValidation("awssim does not simulate the legacy AttributeUpdates parameter: use UpdateExpression")
	}
	if aerr := returnValues(in.ReturnValues, "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, aerr := s.ddbTable(in.TableName)
	if aerr != nil {
		return nil, aerr
	}
	pk, sk, aerr := t.keyOf(in.Key, true)
	if aerr != nil {
		return nil, aerr
	}
	p := newExprParser(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	var upd *updateExpr
	if in.UpdateExpression != nil {
		if upd, aerr = p.parseUpdate(*in.UpdateExpression); aerr != nil {
			return nil, aerr
		}
	}
	cond, aerr := in.condition(p)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := p.checkUnused(); aerr != nil {
		return nil, aerr
	}
	if upd != nil {
		for _, name := range upd.paths() {
			if name == t.PartitionKey || name == t.SortKey {
				return nil, ddbValidation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", name)
			}
		}
	}
	old := t.get(pk, sk)
	if cond != nil && !cond.eval(old) {
		return nil, errConditionalCheck
	}
	next := old.clone()
	if old == nil {
		next = ddbItem{t.PartitionKey: in.Key[t.PartitionKey], t.SortKey: in.Key[t.SortKey]}
	}
	if upd != nil {
		if aerr := upd.apply(old, next); aerr != nil {
			return nil, aerr
		}
	}
	if next.size() > 400*1024 {
		return nil, ddbValidation("Item size to update has exceeded the maximum allowed size")
	}
	t.put(next)
	out := map[string]any{}
	switch in.ReturnValues {
	case "ALL_NEW":
		out["Attributes"] = next.clone()
	case "ALL_OLD":
		if old != nil {
			out["Attributes"] = old
		}
	case "UPDATED_NEW", "UPDATED_OLD":
		src := next
		if in.ReturnValues == "UPDATED_OLD" {
			src = old
		}
		attrs := ddbItem{}
		for _, name := range upd.paths() {
			if v, ok := src[name]; ok {
				attrs[name] = v
			}
		}
		if len(attrs) > 0 {
			out["Attributes"] = attrs
		}
	}
	return out, nil
}

// ddbPageLimit is DynamoDB's limit on the data one Query reads.
const ddbPageLimit = 1 << 20

func (s *Server) ddbQuery(c *call) (any, *apiError) {
	var in struct {
		TableName                 string
		KeyConditionExpression    *string
		ExpressionAttributeNames  map[string]string
		ExpressionAttributeValues map[string]json.RawMessage
		ExclusiveStartKey         ddbItem
		Limit                     *int
		ScanIndexForward          *bool
		ConsistentRead            bool
		Select                    string
		IndexName                 *string
		FilterExpression          *string
		ProjectionExpression      *string
		KeyConditions             json.RawMessage
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	switch {
	case in.IndexName != nil, in.FilterExpression != nil, in.ProjectionExpression != nil, in.KeyConditions != nil:
		return nil, ddbValidation("awssim simulates Query with KeyConditionExpression only (no IndexName, FilterExpression, ProjectionExpression or KeyConditions)")
	case in.Select != "" && in.Select != "ALL_ATTRIBUTES" && in.Select != "COUNT":
		return nil, ddbValidation("awssim does not simulate Select %s", in.Select)
	case in.Limit != nil && *in.Limit < 1:
		return nil, ddbValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
	case in.KeyConditionExpression == nil:
		return nil, ddbValidation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, aerr := s.ddbTable(in.TableName)
	if aerr != nil {
		return nil, aerr
	}
	p := newExprParser(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	kc, aerr := p.parseCondition(*in.KeyConditionExpression, "KeyConditionExpression")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := p.checkUnused(); aerr != nil {
		return nil, aerr
	}
	pk, skCond, aerr := t.keyCondition(kc)
	if aerr != nil {
		return nil, aerr
	}
	items := t.parts[pk]
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	start := 0
	if in.ExclusiveStartKey != nil {
		epk, esk, aerr := t.keyOf(in.ExclusiveStartKey, true)
		if aerr != nil {
			return nil, ddbValidation("The provided starting key is invalid: %s", aerr.Message)
		}
		if epk != pk {
			return nil, ddbValidation("The provided starting key is invalid: The provided key element does not match the schema")
		}
		i, found := t.find(pk, esk)
		if forward {
			start = i
			if found {
				start++
			}
		} else {
			start = len(items) - i // items before i, walked backwards
		}
	}
	var page []ddbItem
	size, last := 0, ddbItem(nil)
	n := len(items)
	for k := start; k < n; k++ {
		it := items[k]
		if !forward {
			it = items[n-1-k]
		}
		if skCond != nil && !skCond.eval(it) {
			continue
		}
		page = append(page, it.clone())
		last, size = it, size+it.size()
		if (in.Limit != nil && len(page) >= *in.Limit) || size >= ddbPageLimit {
			break
		}
	}
	out := map[string]any{"Count": len(page), "ScannedCount": len(page)}
	if in.Select != "COUNT" {
		if page == nil {
			page = []ddbItem{}
		}
		out["Items"] = page
	}
	if last != nil && ((in.Limit != nil && len(page) >= *in.Limit) || size >= ddbPageLimit) {
		out["LastEvaluatedKey"] = ddbItem{t.PartitionKey: last[t.PartitionKey], t.SortKey: last[t.SortKey]}
	}
	return out, nil
}

// keyCondition reads a key condition: pk = :v, optionally AND a condition
// on the sort key (=, <, <=, >, >=, BETWEEN, begins_with).
func (t *ddbTable) keyCondition(kc *condNode) (string, *condNode, *apiError) {
	parts := []*condNode{kc}
	if kc.op == "and" {
		parts = kc.kids
	}
	if len(parts) > 2 {
		return "", nil, ddbValidation("Invalid KeyConditionExpression: The expression has conditions on more than the key attributes")
	}
	pk, found := "", false
	var skCond *condNode
	for _, part := range parts {
		attr := part.keyAttr()
		switch {
		case attr == t.PartitionKey && part.op == "cmp" && part.cmp == "=" && part.args[1].isValue():
			typ, s := stringOf(part.args[1].value)
			if typ != "S" {
				return "", nil, ddbValidation("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
			pk, found = s, true
		case attr == t.SortKey && part.keyConditionOp() && skCond == nil:
			skCond = part
		case attr == t.PartitionKey:
			return "", nil, ddbValidation("Query key condition not supported")
		default:
			return "", nil, ddbValidation("Query condition missed key schema element: %s", t.PartitionKey)
		}
	}
	if !found {
		return "", nil, ddbValidation("Query condition missed key schema element: %s", t.PartitionKey)
	}
	return pk, skCond, nil
}

func (s *Server) ddbBatchWriteItem(c *call) (any, *apiError) {
	var in struct {
		RequestItems map[string][]struct {
			PutRequest    *struct{ Item ddbItem }
			DeleteRequest *struct{ Key ddbItem }
		}
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	total := 0
	for _, reqs := range in.RequestItems {
		total += len(reqs)
	}
	if total == 0 {
		return nil, ddbValidation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if total > 25 {
		return nil, ddbValidation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type op struct {
		t      *ddbTable
		pk, sk string
		item   ddbItem // nil: delete
	}
	var ops []op
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(in.RequestItems)) {
		t, aerr := s.ddbTable(name)
		if aerr != nil {
			return nil, aerr
		}
		for _, r := range in.RequestItems[name] {
			var o op
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				if aerr := t.checkItem(r.PutRequest.Item); aerr != nil {
					return nil, aerr
				}
				o.pk, o.sk, _ = t.keyOf(r.PutRequest.Item, false)
				o.item = r.PutRequest.Item.clone()
			case r.DeleteRequest != nil && r.PutRequest == nil:
				var aerr *apiError
				if o.pk, o.sk, aerr = t.keyOf(r.DeleteRequest.Key, true); aerr != nil {
					return nil, aerr
				}
			default:
				return nil, ddbValidation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			o.t = t
			id := name + "\x00" + o.pk + "\x00" + o.sk
			if seen[id] {
				return nil, ddbValidation("Provided list of item keys contains duplicates")
			}
			seen[id] = true
			ops = append(ops, o)
		}
	}
	for _, o := range ops {
		if o.item != nil {
			o.t.put(o.item)
		} else {
			o.t.delete(o.pk, o.sk)
		}
	}
	return map[string]any{"UnprocessedItems": map[string]any{}}, nil
}
