package awssim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func TestSNSPublish(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, &Scenario{Account: "111122223333", Topics: []Topic{{Name: "findings"}}})
	c := sns.NewFromConfig(cfg)
	topic := "arn:aws:sns:us-east-1:111122223333:findings"
	out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String("vpcguard: 2 checks failed"), Message: aws.String("body\nline 2"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"severity": {DataType: aws.String("String"), StringValue: aws.String("high")},
			"checks":   {DataType: aws.String("Number"), StringValue: aws.String("2")},
		}})
	must(t, err)
	pub := srv.Published()
	if len(pub) != 1 || pub[0].MessageID != aws.ToString(out.MessageId) || pub[0].Subject != "vpcguard: 2 checks failed" || pub[0].Message != "body\nline 2" ||
		pub[0].Attributes["severity"].StringValue != "high" || pub[0].Attributes["checks"].DataType != "Number" {
		t.Errorf("published: %+v", pub)
	}
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic + "-nope"), Message: aws.String("x")})
	wantCode(t, err, "NotFound")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String(strings.Repeat("s", 101)), Message: aws.String("x")})
	wantCode(t, err, "InvalidParameter")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(strings.Repeat("m", MaxSNSMessage+1))})
	wantCode(t, err, "InvalidParameter")

	w := srv.Writes()
	if len(w) != 4 || w[0].Operation != "Publish" || w[0].Result["messageId"] != aws.ToString(out.MessageId) || w[0].Params["TopicArn"] != topic ||
		w[1].Error != "NotFound" || w[2].Error != "InvalidParameter" {
		t.Fatalf("writes: %+v", w)
	}
	attrs, _ := w[0].Params["MessageAttributes"].([]any)
	if len(attrs) != 2 {
		t.Errorf("decoded attributes: %#v", w[0].Params)
	}
}
