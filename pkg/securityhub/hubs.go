// Package securityhub writes vpcguard's findings to AWS Security Hub in the
// AWS Security Finding Format (ASFF), with a lifecycle that converges on the
// truth: a failing or unverified check is an ACTIVE finding, and the same
// finding (one Id per check and resource) is archived when its resource
// passes again or is gone.
//
// Rendering is pure (Render, FindingID); Publisher does the calls through
// the narrow API interface that *securityhub.Client satisfies, and reaches
// each account's Security Hub through Hubs: SingleAccount for the
// function's own account and Region, or (organization mode, several
// Regions) pkg/app's, which signs with each account's own credentials, the
// member role's for a member account. A finding is only ever written to the
// Security Hub of the account and Region that own its resource, by that
// account.
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

// Hubs gives the Security Hub of an account in a Region, as a client
// signing with that account's credentials. An error wrapping ErrNotServed
// means vpcguard does not write there (nothing is sent, and it is not a
// fault); any other error means the account could not be reached.
type Hubs interface {
	Hub(ctx context.Context, account, region string) (API, error)
}

// HubsFunc adapts a function to Hubs.
type HubsFunc func(ctx context.Context, account, region string) (API, error)

// Hub calls f.
func (f HubsFunc) Hub(ctx context.Context, account, region string) (API, error) {
	return f(ctx, account, region)
}

// ErrNotServed is wrapped by a Hubs's error for an account or Region whose
// Security Hub vpcguard does not write to: SingleAccount's for any but its
// own; organization mode's for a Region outside VPCGUARD_REGIONS. A finding
// about another account's resource is never sent to this account's
// Security Hub instead.
var ErrNotServed = errors.New("not an account and Region whose Security Hub vpcguard writes to")

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
// an ErrNotServed error for any other.
func (s *SingleAccount) Hub(ctx context.Context, account, region string) (API, error) {
	own, err := s.Account(ctx)
	if err != nil {
		return nil, err
	}
	if account != own || region != s.Region {
		return nil, fmt.Errorf("account %s in %s: %w (single-account mode: only %s in %s)", account, region, ErrNotServed, own, s.Region)
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
