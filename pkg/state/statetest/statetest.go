// Package statetest gives tests a state table to talk to through the real
// SDK v2 DynamoDB client: in awssim (Go only, always there) or in dynalite
// (npm package dynalite, an independent implementation of the DynamoDB
// API, pinned in _dynalite/ and started on 127.0.0.1). It is test
// infrastructure; product code never imports it.
package statetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

// Table is the state table's name in tests.
const Table = "vpcguard-state"

// Region of the test clients.
const Region = "us-east-1"

// Backend is a running DynamoDB implementation with the state table.
type Backend struct {
	Name   string // "awssim" or "dynalite"
	Client *dynamodb.Client
	URL    string
	// Sim is the awssim server (nil for dynalite).
	Sim *awssim.Server
}

// Scenario adds the state table to sc (a new scenario when nil).
func Scenario(sc *awssim.Scenario) *awssim.Scenario {
	if sc == nil {
		sc = &awssim.Scenario{}
	}
	sc.DynamoDBTables = append(sc.DynamoDBTables, awssim.DynamoDBTable{Name: Table, PartitionKey: "pk", SortKey: "sk", TTLAttribute: "expires"})
	return sc
}

// Awssim serves an awssim account holding the state table.
func Awssim(t testing.TB) *Backend {
	t.Helper()
	sim, url := awssim.Start(t, Scenario(nil))
	return &Backend{Name: "awssim", Client: dynamodb.NewFromConfig(awssim.TestConfig(url, Region)), URL: url, Sim: sim}
}

// Dynalite starts dynalite (in memory) on 127.0.0.1, creates the state
// table in it and stops it when the test ends. It skips the test, saying
// why, where Node or the pinned install (_dynalite/node_modules) is absent.
func Dynalite(t testing.TB) *Backend {
	t.Helper()
	b, why := StartDynalite(t)
	if b == nil {
		t.Skip(why)
	}
	return b
}

// StartDynalite is Dynalite without the skip: nil and the reason where
// dynalite cannot run here.
func StartDynalite(t testing.TB) (*Backend, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "dynalite: node is not on PATH (install Node 20 to run the state table tests against dynalite; CI has it)"
	}
	root, err := repoRoot()
	if err != nil {
		return nil, "dynalite: " + err.Error()
	}
	dir := filepath.Join(root, "_dynalite")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "dynalite", "package.json")); err != nil {
		return nil, "dynalite is not installed: run `cd _dynalite && npm ci` (.ci/run does)"
	}
	cmd := exec.Command(node, filepath.Join(dir, "serve.js"))
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("dynalite: start node: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close() // serve.js exits when its stdin closes
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
	}()
	var port string
	select {
	case line := <-lines:
		var ok bool
		if port, ok = strings.CutPrefix(strings.TrimSpace(line), "listening "); !ok {
			t.Fatalf("dynalite did not start: %q %s", line, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("dynalite did not start within 20 s: %s", stderr.String())
	}
	url := "http://127.0.0.1:" + port
	client := dynamodb.NewFromConfig(awssim.TestConfig(url, Region))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(Table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("dynalite: create table: %v", err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(Table)}, 10*time.Second); err != nil {
		t.Fatalf("dynalite: table not active: %v", err)
	}
	return &Backend{Name: "dynalite", Client: client, URL: url}, ""
}

// Both returns awssim and, where it can start, dynalite; the reason it
// cannot is logged.
func Both(t testing.TB) []*Backend {
	t.Helper()
	out := []*Backend{Awssim(t)}
	if d, why := StartDynalite(t); d != nil {
		out = append(out, d)
	} else {
		t.Logf("SKIP on dynalite: %s", why)
	}
	return out
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "_dynalite", "package.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no _dynalite/package.json above %s", dir)
		}
		dir = parent
	}
}
