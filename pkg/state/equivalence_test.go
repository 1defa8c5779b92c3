package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

// TestAwssimAnswersLikeDynalite sends the same sequence of raw DynamoDB
// calls to awssim and to dynalite, an independent implementation, and
// compares every answer: items, counts, paging keys, condition failures
// and validation errors.
func TestAwssimAnswersLikeDynalite(t *testing.T) {
	sim := statetest.Awssim(t)
	dyn := statetest.Dynalite(t)
	ctx := context.Background()
	for i, step := range equivalenceSteps() {
		a := step.run(ctx, sim.Client)
		d := step.run(ctx, dyn.Client)
		t.Logf("%-45s %s", step.name, a)
		if a != d {
			t.Errorf("step %d (%s):\n  awssim:   %s\n  dynalite: %s", i, step.name, a, d)
		}
	}
}

type step struct {
	name string
	call func(context.Context, *dynamodb.Client) (any, error)
}

// run makes the call and renders its outcome comparably: the error code,
// or the output's data fields.
func (s step) run(ctx context.Context, c *dynamodb.Client) string {
	out, err := s.call(ctx, c)
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) {
			if api.ErrorCode() == "ConditionalCheckFailedException" {
				return "error " + api.ErrorCode() + ": " + api.ErrorMessage()
			}
			return "error " + api.ErrorCode()
		}
		return "error " + err.Error()
	}
	var v map[string]any
	switch o := out.(type) {
	case *dynamodb.PutItemOutput:
		v = map[string]any{"Attributes": avMap(o.Attributes)}
	case *dynamodb.GetItemOutput:
		v = map[string]any{"Item": avMap(o.Item)}
	case *dynamodb.UpdateItemOutput:
		v = map[string]any{"Attributes": avMap(o.Attributes)}
	case *dynamodb.DeleteItemOutput:
		v = map[string]any{"Attributes": avMap(o.Attributes)}
	case *dynamodb.QueryOutput:
		items := []any{}
		for _, it := range o.Items {
			items = append(items, avMap(it))
		}
		v = map[string]any{"Items": items, "Count": o.Count, "ScannedCount": o.ScannedCount, "LastEvaluatedKey": avMap(o.LastEvaluatedKey)}
	case *dynamodb.BatchWriteItemOutput:
		v = map[string]any{"Unprocessed": len(o.UnprocessedItems[statetest.Table])}
	default:
		return fmt.Sprintf("unexpected output %T", out)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// avMap renders attribute values as plain JSON (nil for no map).
func avMap(m map[string]types.AttributeValue) any {
	if m == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range m {
		out[k] = avJSON(v)
	}
	return out
}

func avJSON(v types.AttributeValue) any {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": x.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": x.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": x.Value}
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), x.Value...)
		sort.Strings(s)
		return map[string]any{"SS": s}
	case *types.AttributeValueMemberL:
		l := []any{}
		for _, e := range x.Value {
			l = append(l, avJSON(e))
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": avMap(x.Value)}
	}
	return fmt.Sprintf("%T", v)
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
}

func item(pk, sk string, attrs ...any) map[string]types.AttributeValue {
	m := key(pk, sk)
	for i := 0; i+1 < len(attrs); i += 2 {
		m[attrs[i].(string)] = attrs[i+1].(types.AttributeValue)
	}
	return m
}

func equivalenceSteps() []step {
	tbl := aws.String(statetest.Table)
	put := func(name string, in *dynamodb.PutItemInput) step {
		in.TableName = tbl
		return step{name, func(ctx context.Context, c *dynamodb.Client) (any, error) { return c.PutItem(ctx, in) }}
	}
	get := func(name string, k map[string]types.AttributeValue) step {
		return step{name, func(ctx context.Context, c *dynamodb.Client) (any, error) {
			return c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k, ConsistentRead: aws.Bool(true)})
		}}
	}
	update := func(name string, in *dynamodb.UpdateItemInput) step {
		in.TableName = tbl
		return step{name, func(ctx context.Context, c *dynamodb.Client) (any, error) { return c.UpdateItem(ctx, in) }}
	}
	del := func(name string, in *dynamodb.DeleteItemInput) step {
		in.TableName = tbl
		return step{name, func(ctx context.Context, c *dynamodb.Client) (any, error) { return c.DeleteItem(ctx, in) }}
	}
	query := func(name string, in *dynamodb.QueryInput) step {
		in.TableName = tbl
		return step{name, func(ctx context.Context, c *dynamodb.Client) (any, error) { return c.Query(ctx, in) }}
	}
	batch := func(name string, reqs []types.WriteRequest) step {
		return step{name, func(ctx context.Context, c *dynamodb.Client) (any, error) {
			return c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{statetest.Table: reqs}})
		}}
	}
	names := map[string]string{"#pk": "pk", "#sk": "sk"}
	absent := "attribute_not_exists(#pk)"

	var steps []step
	steps = append(steps,
		get("get missing", key("p", "a")),
		put("put", &dynamodb.PutItemInput{Item: item("p", "a", "status", s("planned"), "n", n("1"), "tags", &types.AttributeValueMemberSS{Value: []string{"y", "x"}})}),
		get("get", key("p", "a")),
		put("put if absent, present", &dynamodb.PutItemInput{Item: item("p", "a"), ConditionExpression: aws.String(absent), ExpressionAttributeNames: map[string]string{"#pk": "pk"}}),
		put("put if absent, absent", &dynamodb.PutItemInput{Item: item("p", "b", "status", s("new")), ConditionExpression: aws.String(absent), ExpressionAttributeNames: map[string]string{"#pk": "pk"}}),
		put("put ALL_OLD", &dynamodb.PutItemInput{Item: item("p", "b", "status", s("newer")), ReturnValues: types.ReturnValueAllOld}),
		put("put if status = planned and n < 2", &dynamodb.PutItemInput{Item: item("p", "a", "status", s("applied"), "n", n("2")),
			ConditionExpression:       aws.String("#s = :p AND n < :two"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("planned"), ":two": n("2")}}),
		put("put if status = planned, again", &dynamodb.PutItemInput{Item: item("p", "a", "status", s("applied")),
			ConditionExpression:       aws.String("#s = :p"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("planned")}}),
		put("put if missing attribute <> value", &dynamodb.PutItemInput{Item: item("p", "c"),
			ConditionExpression:       aws.String("nothing <> :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("x")}}),
		put("put if (absent or expired) with OR and parentheses", &dynamodb.PutItemInput{Item: item("p", "a", "status", s("again")),
			ConditionExpression:       aws.String("(attribute_not_exists(#pk) OR #e <= :now)"),
			ExpressionAttributeNames:  map[string]string{"#pk": "pk", "#e": "expires"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": n("1000")}}),
		put("put if NOT begins_with", &dynamodb.PutItemInput{Item: item("p", "a", "status", s("applied"), "n", n("3")),
			ConditionExpression:       aws.String("NOT begins_with(#s, :pre)"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pre": s("plan")}}),
		put("unused name", &dynamodb.PutItemInput{Item: item("p", "x"), ConditionExpression: aws.String(absent), ExpressionAttributeNames: names}),
		put("undefined value", &dynamodb.PutItemInput{Item: item("p", "x"), ConditionExpression: aws.String("a = :nope")}),
		put("missing sort key", &dynamodb.PutItemInput{Item: map[string]types.AttributeValue{"pk": s("p")}}),
		put("number sort key", &dynamodb.PutItemInput{Item: map[string]types.AttributeValue{"pk": s("p"), "sk": n("1")}}),
		put("empty partition key", &dynamodb.PutItemInput{Item: item("", "a")}),
		get("get with an extra key attribute", map[string]types.AttributeValue{"pk": s("p"), "sk": s("a"), "x": s("y")}),
		update("update ALL_NEW, SET and REMOVE", &dynamodb.UpdateItemInput{Key: key("p", "a"),
			UpdateExpression:          aws.String("SET #s = :s, n = n + :one, created = if_not_exists(created, :t) REMOVE tags"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("verified"), ":one": n("1"), ":t": n("42")},
			ReturnValues:              types.ReturnValueAllNew}),
		update("update UPDATED_OLD", &dynamodb.UpdateItemInput{Key: key("p", "a"),
			UpdateExpression:          aws.String("SET created = if_not_exists(created, :t), n = :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": n("7"), ":n": n("10")},
			ReturnValues:              types.ReturnValueUpdatedOld}),
		update("update creates an item", &dynamodb.UpdateItemInput{Key: key("p", "new"),
			UpdateExpression: aws.String("SET a = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("1")},
			ReturnValues: types.ReturnValueAllNew}),
		update("update with a failed condition", &dynamodb.UpdateItemInput{Key: key("p", "missing"),
			UpdateExpression:          aws.String("SET a = :a"),
			ConditionExpression:       aws.String("attribute_exists(#pk)"),
			ExpressionAttributeNames:  map[string]string{"#pk": "pk"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("1")}}),
		get("the failed update created nothing", key("p", "missing")),
		update("update of a key attribute", &dynamodb.UpdateItemInput{Key: key("p", "a"),
			UpdateExpression: aws.String("SET sk = :x"), ExpressionAttributeValues: map[string]types.AttributeValue{":x": s("z")}}),
		del("delete if status = x", &dynamodb.DeleteItemInput{Key: key("p", "b"),
			ConditionExpression: aws.String("#s = :x"), ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":x": s("x")}}),
		del("delete ALL_OLD", &dynamodb.DeleteItemInput{Key: key("p", "b"), ReturnValues: types.ReturnValueAllOld}),
		del("delete missing", &dynamodb.DeleteItemInput{Key: key("p", "b")}),
	)

	// Query order and paging, on sort keys around '#' and case.
	var reqs []types.WriteRequest
	for _, sk := range []string{"m#b", "m#a", "m#A", "m-1", "m#ab", "m#", "m#z9", "m#z10", "n#1", "M#1"} {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item("q", sk, "v", s(strings.ToUpper(sk)))}})
	}
	steps = append(steps, batch("batch put 10", reqs))
	dup := []types.WriteRequest{
		{PutRequest: &types.PutRequest{Item: item("q", "d")}},
		{DeleteRequest: &types.DeleteRequest{Key: key("q", "d")}},
	}
	steps = append(steps, batch("batch with a duplicate key", dup))
	kc := aws.String("#pk = :pk AND begins_with(#sk, :pre)")
	vals := map[string]types.AttributeValue{":pk": s("q"), ":pre": s("m#")}
	steps = append(steps,
		query("query all", &dynamodb.QueryInput{KeyConditionExpression: aws.String("#pk = :pk"),
			ExpressionAttributeNames: map[string]string{"#pk": "pk"}, ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("q")}}),
		query("query prefix", &dynamodb.QueryInput{KeyConditionExpression: kc, ExpressionAttributeNames: names, ExpressionAttributeValues: vals}),
		query("query prefix reverse", &dynamodb.QueryInput{KeyConditionExpression: kc, ExpressionAttributeNames: names, ExpressionAttributeValues: vals, ScanIndexForward: aws.Bool(false)}),
		query("query page 1 of 3", &dynamodb.QueryInput{KeyConditionExpression: kc, ExpressionAttributeNames: names, ExpressionAttributeValues: vals, Limit: aws.Int32(3)}),
		query("query page 2", &dynamodb.QueryInput{KeyConditionExpression: kc, ExpressionAttributeNames: names, ExpressionAttributeValues: vals, Limit: aws.Int32(3), ExclusiveStartKey: key("q", "m#ab")}),
		query("query last page, exactly the limit", &dynamodb.QueryInput{KeyConditionExpression: kc, ExpressionAttributeNames: names, ExpressionAttributeValues: vals, Limit: aws.Int32(2), ExclusiveStartKey: key("q", "m#b")}),
		query("query reverse page", &dynamodb.QueryInput{KeyConditionExpression: kc, ExpressionAttributeNames: names, ExpressionAttributeValues: vals, Limit: aws.Int32(2), ScanIndexForward: aws.Bool(false), ExclusiveStartKey: key("q", "m#b")}),
		query("query start key not in the table", &dynamodb.QueryInput{KeyConditionExpression: kc, ExpressionAttributeNames: names, ExpressionAttributeValues: vals, Limit: aws.Int32(2), ExclusiveStartKey: key("q", "m#aa")}),
		query("query sort key between", &dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("q"), ":lo": s("m#a"), ":hi": s("m#z")}}),
		query("query sort key >", &dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk AND sk > :lo"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("q"), ":lo": s("m#z")}}),
		query("query an empty partition", &dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("nothing")}}),
		query("query without the partition key", &dynamodb.QueryInput{KeyConditionExpression: aws.String("sk = :sk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":sk": s("m#a")}}),
		query("query with an unused value", &dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("q"), ":x": s("y")}}),
		query("query with limit 0", &dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("q")}, Limit: aws.Int32(0)}),
	)
	var tooMany []types.WriteRequest
	for i := range 26 {
		tooMany = append(tooMany, types.WriteRequest{PutRequest: &types.PutRequest{Item: item("r", fmt.Sprint(i))}})
	}
	steps = append(steps, batch("batch of 26", tooMany),
		step{"get from a missing table", func(ctx context.Context, c *dynamodb.Client) (any, error) {
			return c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: key("p", "a")})
		}},
	)
	return steps
}
