package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"
)

// The scenario defines the tables and their first items; a bad table or
// item is a scenario error naming it.
func TestDynamoDBScenarioTables(t *testing.T) {
	sc := &Scenario{DynamoDBTables: []DynamoDBTable{{Name: "state", Items: []map[string]json.RawMessage{
		{"pk": json.RawMessage(`{"S":"a"}`), "sk": json.RawMessage(`{"S":"2"}`), "n": json.RawMessage(`{"N":"7"}`)},
		{"pk": json.RawMessage(`{"S":"a"}`), "sk": json.RawMessage(`{"S":"1"}`)},
	}}}}
	srv, url := Start(t, sc)
	cfg := TestConfig(url, "us-east-1")
	var sdkLog strings.Builder
	cfg.Logger = logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
		fmt.Fprintf(&sdkLog, format+"\n", v...)
	})
	c := dynamodb.NewFromConfig(cfg)
	out, err := c.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String("state"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 || out.Items[0]["sk"].(*types.AttributeValueMemberS).Value != "1" || out.Items[1]["n"].(*types.AttributeValueMemberN).Value != "7" {
		t.Errorf("items = %v", out.Items)
	}
	if got := srv.Items("state"); len(got) != 2 || srv.Items("other") != nil {
		t.Errorf("Items = %v", got)
	}
	// DynamoDB's client checks each response against its X-Amz-Crc32.
	if _, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("nope"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}, "sk": &types.AttributeValueMemberS{Value: "b"}}}); err == nil {
		t.Error("GetItem from a missing table: no error")
	}
	if sdkLog.Len() > 0 {
		t.Errorf("the SDK complained: %s", sdkLog.String())
	}
	if len(srv.Writes()) != 0 {
		t.Errorf("state table calls recorded as account writes: %v", srv.Writes())
	}
	for name, bad := range map[string]*Scenario{
		"no name":    {DynamoDBTables: []DynamoDBTable{{}}},
		"twice":      {DynamoDBTables: []DynamoDBTable{{Name: "t"}, {Name: "t"}}},
		"item no sk": {DynamoDBTables: []DynamoDBTable{{Name: "t", Items: []map[string]json.RawMessage{{"pk": json.RawMessage(`{"S":"a"}`)}}}}},
	} {
		if _, err := NewServer(bad); err == nil || !strings.Contains(err.Error(), "dynamodb") {
			t.Errorf("%s: %v, want a scenario error about the table", name, err)
		}
	}
}

// Calls awssim does not simulate are refused, never half done.
func TestDynamoDBRefusesWhatItDoesNotSimulate(t *testing.T) {
	_, url := Start(t, &Scenario{DynamoDBTables: []DynamoDBTable{{Name: "state"}}})
	c := dynamodb.NewFromConfig(TestConfig(url, "us-east-1"))
	ctx := context.Background()
	vals := map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "a"}}
	_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("state"), KeyConditionExpression: aws.String("pk = :p"),
		FilterExpression: aws.String("x = :p"), ExpressionAttributeValues: vals})
	if err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Errorf("FilterExpression: %v", err)
	}
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("state"),
		Key:              map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}, "sk": &types.AttributeValueMemberS{Value: "b"}},
		UpdateExpression: aws.String("ADD n :p"), ExpressionAttributeValues: vals})
	if err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Errorf("ADD: %v", err)
	}
	if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil || !strings.Contains(err.Error(), "UnknownOperationException") {
		t.Errorf("ListTables: %v", err)
	}
}
