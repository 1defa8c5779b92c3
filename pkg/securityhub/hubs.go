// Package securityhub writes vpcguard's findings to AWS Security Hub in the
// AWS Security Finding Format (ASFF), with a lifecycle that converges on the
// truth: a failing or unverified check is an ACTIVE finding, and the same
// finding (one Id per check and resource) is archived when its resource
// passes again or is gone.
//
// Rendering is pure (Render, FindingID); Publisher does the calls through
// the narrow API interface that *securityhub.Client satisfies, and reaches
// each account's Security Hub through Hubs: single-account now, the member
// roles of organization mode later. A finding is only ever written to the
// Security Hub of the account and Region that own its resource.
package securityhub

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// API is the part of *securityhub.Client that vpcguard uses.
type API interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

// Hubs gives the Security Hub of an account in a Region. Organization mode
// implements it with the member role of each account; an error means
// vpcguard may not write there, and nothing is sent.
type Hubs interface {
	Hub(ctx context.Context, account, region string) (API, error)
}

// HubsFunc adapts a function to Hubs.
type HubsFunc func(ctx context.Context, account, region string) (API, error)

// Hub calls f.
func (f HubsFunc) Hub(ctx context.Context, account, region string) (API, error) {
	return f(ctx, account, region)
}

// ErrNotThisAccount is returned by a single-account Hubs for any account or
// Region other than its own: a finding about another account's resource is
// never sent to this account's Security Hub, nor to the other one's.
var ErrNotThisAccount = errors.New("not this function's account and Region")

// Caller reads the identity of the credentials; *sts.Client is one.
type Caller interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// SingleAccount is the Hubs of one account: the client's own Security Hub,
// in the client's Region, for the account its credentials belong to (read
// once with GetCallerIdentity, which needs no permission).
type SingleAccount struct {
	Client API
	Region string
	STS    Caller

	mu      sync.Mutex
	account string
}

// NewSingleAccount builds the single-account Hubs from an SDK configuration.
func NewSingleAccount(cfg aws.Config) *SingleAccount {
	return &SingleAccount{Client: securityhub.NewFromConfig(cfg), Region: cfg.Region, STS: sts.NewFromConfig(cfg)}
}

// Account is the account of the credentials.
func (s *SingleAccount) Account(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.account != "" {
		return s.account, nil
	}
	out, err := s.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("read the function's own account: %w", err)
	}
	s.account = aws.ToString(out.Account)
	return s.account, nil
}

// Hub returns the client for the function's own account and Region, and
// ErrNotThisAccount for any other.
func (s *SingleAccount) Hub(ctx context.Context, account, region string) (API, error) {
	own, err := s.Account(ctx)
	if err != nil {
		return nil, err
	}
	if account != own || region != s.Region {
		return nil, fmt.Errorf("account %s in %s: %w (%s in %s)", account, region, ErrNotThisAccount, own, s.Region)
	}
	return s.Client, nil
}

// BuildVersion is vpcguard's version as the binary knows it (the main
// module's version, or "devel" for a build from a work tree).
func BuildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
