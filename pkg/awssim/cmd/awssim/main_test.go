package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/vpcguard/vpcguard/pkg/awssim"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-scenario", "../../testdata/example.json", "-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	c := sns.NewFromConfig(awssim.TestConfig(url, "us-east-1"))
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111122223333:vpcguard-findings"), Message: aws.String("hi")}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "/_awssim/writes")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("writes: %d", resp.StatusCode)
	}

	cancel() // as SIGINT does
	var writes []awssim.Write
	if err := json.NewDecoder(br).Decode(&writes); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
	if len(writes) != 1 || writes[0].Operation != "Publish" || writes[0].Region != "us-east-1" {
		t.Errorf("writes: %+v", writes)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"subnets":[{"id":"subnet-1","vpc":"vpc-9","cidr":"10.0.0.0/24"}]}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-scenario", bad}, `vpc "vpc-9" is not in vpcs`},
		{[]string{"-scenario", "../../testdata/example.json", "-addr", "0.0.0.0:0"}, "loopback only"},
		{[]string{"-scenario", filepath.Join(dir, "missing.json")}, "no such file"},
		{nil, "flag: help requested"},
	} {
		err := run(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
