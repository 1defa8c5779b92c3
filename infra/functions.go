package main

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Trigger says what invokes a function: CloudTrail calls delivered by
// EventBridge, or a schedule.
type Trigger struct {
	Source      string   // EventBridge source, e.g. aws.sagemaker
	EventSource string   // CloudTrail eventSource, e.g. sagemaker.amazonaws.com
	EventNames  []string // CloudTrail eventName values handled
	// Service, when set, is the additionalEventData.service the calls carry:
	// Application Auto Scaling shares eventSource autoscaling.amazonaws.com
	// (and source aws.autoscaling) with EC2 Auto Scaling.
	Service   string
	Scheduled bool // invoked by the sweepSchedule rule instead
	// Manual: invoked by people (aws lambda invoke, a console test event),
	// never by a rule: the undo function.
	Manual bool
}

// FunctionSpec is what the stack needs to know about one functions/<name>.
type FunctionSpec struct {
	Name    string
	Trigger Trigger
	// More are the function's other event sources, each with a rule of its
	// own (one rule matches one source).
	More    []Trigger
	Memory  float64       // MB
	Timeout time.Duration // Lambda timeout
	// KeepsState: the function keeps a cursor between runs in an S3 object
	// of the stack's state bucket (VPCGUARD_SWEEP_STATE). Its schedule (daily
	// by default) is far longer than its timeout, so runs do not overlap; no
	// reserved concurrency, which fails to deploy in accounts whose
	// concurrency limit is the default 10.
	KeepsState bool
	// StateActions are the DynamoDB item actions the function makes on the
	// state table (VPCGUARD_STATE_TABLE): the placement index's reads and
	// upkeep. The role gets exactly these, on that table.
	StateActions []string
	// StateFamilies are the record families of the state table the
	// function touches (by pk: dynamodb:LeadingKeys; see eventFamilies); only
	// the event functions keep event progress.
	StateFamilies []string
	// ChecksHealth: the function runs the health self-check (pkg/health)
	// on the stack's own rules, functions, topic and dead-letter queue.
	ChecksHealth bool
	// Undoes: the function takes repairs back. Its role holds exactly the
	// reverse writes of the allowed repairs (and no repair, no notification),
	// and every other function is told its name (VPCGUARD_UNDO_FUNCTION) for
	// the undo command of each repair.
	Undoes bool
}

// functionSpecs maps every function directory to its trigger and size. A new
// directory under functions/ must be added here: synth fails otherwise, so a
// function is never deployed without the rule that feeds it.
//
// Sizing: an event evaluation makes at most ~25 AWS calls, concurrently, on a
// critical path of 3 sequential round trips (issue #2), plus a few writes and
// their re-reads in remediate mode. 60 s leaves room for the SDK's retries
// with backoff under throttling (3 attempts, up to 20 s each) on that path.
// The sweep stops itself before its deadline (issue #7), so it gets the full
// 15 minutes and more memory for thousands of models held at once.
var functionSpecs = map[string]FunctionSpec{
	"modelguard": {
		Trigger: Trigger{
			Source:      "aws.sagemaker",
			EventSource: "sagemaker.amazonaws.com",
			EventNames:  []string{"CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpointWeightsAndCapacities", "UpdateEndpoint", "DeleteModel", "DeleteEndpoint"},
		},
		// Drift of an endpoint's instance counts (issue 11).
		More: []Trigger{{
			Source: "aws.autoscaling", EventSource: "autoscaling.amazonaws.com", Service: "application-autoscaling",
			EventNames: []string{"RegisterScalableTarget"},
		}},
		Memory: 128, Timeout: 60 * time.Second,
		// Upkeep: read an entry, write its copies, invalidate on failure;
		// the ledger, event progress and VPC locks (ledgerActions).
		StateActions:  withLedger("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem"),
		StateFamilies: eventFamilies,
	},
	"endpointguard": {
		Trigger: Trigger{
			Source:      "aws.ec2",
			EventSource: "ec2.amazonaws.com",
			EventNames: []string{"CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints",
				// Drift of the model network (issue 11).
				"ModifyVpcAttribute", "AssociateDhcpOptions",
				"AssociateRouteTable", "ReplaceRouteTableAssociation", "DisassociateRouteTable", "CreateRoute", "ReplaceRoute", "DeleteRoute",
				"AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress", "ModifySecurityGroupRules",
				"DeleteFlowLogs",
				// Network ACLs on the S3 path (issue 15).
				"CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation"},
		},
		Memory: 128, Timeout: 60 * time.Second,
		// The VPC's models (Query), the built record (GetItem); dropping a
		// model found gone (BatchWriteItem, DeleteItem on failure).
		StateActions:  withLedger("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query"),
		StateFamilies: eventFamilies,
	},
	"sweep": {
		Trigger: Trigger{Scheduled: true},
		Memory:  256, Timeout: 15 * time.Minute,
		KeepsState:   true,
		ChecksHealth: true,
		// Read the index (Query), write what changed (BatchWriteItem), mark
		// it built (PutItem) or invalidate it (DeleteItem).
		StateActions:  withLedger("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"),
		StateFamilies: repairFamilies, // no event progress: it handles no event
	},
	// undo (issue #14) takes one repair back: a few reads, one write and
	// its verification; the deletion of an endpoint first lists the models
	// of its VPC (a full scan without the placement index).
	"undo": {
		Trigger: Trigger{Manual: true},
		Memory:  128, Timeout: 60 * time.Second,
		Undoes: true,
		// The ledger entry, its mark and the hold; the VPC lock; the index
		// (the models an endpoint's deletion cuts off).
		StateActions:  withLedger(),
		StateFamilies: repairFamilies,
	},
}

// ledgerActions are the item actions of the repair ledger, the event
// progress records and the per-VPC locks in the state table (pkg/ledger's
// table store: conditional puts, reads, queries by account and Region,
// lock releases).
var ledgerActions = []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}

// withLedger is actions plus ledgerActions, sorted, each once.
func withLedger(actions ...string) []string {
	return slices.Compact(slices.Sorted(slices.Values(append(actions, ledgerActions...))))
}

// Triggers are the function's triggers, each a rule: Trigger, then More;
// none for a function people invoke.
func (s FunctionSpec) Triggers() []Trigger {
	if s.Trigger.Manual {
		return nil
	}
	return append([]Trigger{s.Trigger}, s.More...)
}

// DiscoverFunctions lists every functions/<name> directory that holds a Go
// main package, sorted, with its spec. A directory without a spec is an error.
func DiscoverFunctions(repoRoot string) ([]FunctionSpec, error) {
	dir := filepath.Join(repoRoot, "functions")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing functions: %w", err)
	}
	var out []FunctionSpec
	var unknown []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
			continue
		}
		isMain, err := hasMainPackage(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if !isMain {
			continue
		}
		spec, ok := functionSpecs[e.Name()]
		if !ok {
			unknown = append(unknown, e.Name())
			continue
		}
		spec.Name = e.Name()
		out = append(out, spec)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("functions/%s: no trigger known; add it to functionSpecs in infra/functions.go",
			strings.Join(unknown, ", functions/"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no main package under %s", dir)
	}
	slices.SortFunc(out, func(a, b FunctionSpec) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// hasMainPackage reports whether dir holds a non-test .go file of package main.
func hasMainPackage(dir string) (bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return false, err
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pkg, err := packageClause(f)
		if err != nil {
			return false, err
		}
		if pkg == "main" {
			return true, nil
		}
	}
	return false, nil
}

// packageClause returns the package name of a Go file.
func packageClause(path string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly)
	if err != nil {
		return "", fmt.Errorf("reading package clause: %w", err)
	}
	return f.Name.Name, nil
}
