package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
)

// Member-role sessions: one hour, the most STS grants a role assumed by
// another role's session (the function role); renewed this long before
// they expire, so that no evaluation starts on credentials about to lapse.
const (
	MemberSessionDuration = time.Hour
	MemberRenewBefore     = 5 * time.Minute
)

// AccountClients gives the SDK clients vpcguard uses in one account and
// Region. *Accounts is the implementation; the event functions, the sweep
// and the Security Hub integration consume it.
type AccountClients interface {
	Clients(ctx context.Context, account, region string) (*Clients, error)
	// Config is the same account and Region's aws.Config, for clients of
	// other services (Security Hub, …).
	Config(ctx context.Context, account, region string) (aws.Config, error)
}

// Accounts hands out the clients of an (account, Region):
//
//   - the function's own account (the account of VPCGUARD_ROLE_ARN, else
//     STS GetCallerIdentity, once) is read with the function's own
//     credentials, in any Region it serves;
//   - another account, in organization mode (VPCGUARD_MEMBER_ROLE), through
//     arn:<partition>:iam::<account>:role/<VPCGUARD_MEMBER_ROLE>, assumed
//     with STS in the function's Region (its regional endpoint), one
//     session per account whatever the Region, kept until MemberRenewBefore
//     before it expires;
//   - anything else is an *AccountError, and no role is assumed: an account
//     of another organization mode, a Region outside VPCGUARD_REGIONS (the
//     function's own Region when unset).
//
// The role is assumed when Clients is called, so that a refusal is one
// error up front, not an AccessDenied on every read. The session name
// names what asked for it (WithSessionName). Accounts is safe for
// concurrent use.
type Accounts struct {
	base aws.Config // the function's configuration: its credentials, retryer, HTTP client, API options
	home *Clients   // the function's own clients, in its Region
	cfg  config.Config
	sts  stscreds.AssumeRoleAPIClient
	ids  callerIdentity

	homeMu      sync.Mutex
	homeAccount string // once known

	mu      sync.Mutex
	creds   map[string]*aws.CredentialsCache // member account → its session
	clients map[string]*Clients              // account/region → clients
}

// callerIdentity is the part of *sts.Client that finds the home account.
type callerIdentity interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// NewAccounts builds the factory from the function's configuration and
// its own clients (built from base).
func NewAccounts(base aws.Config, home *Clients, cfg config.Config) *Accounts {
	client := sts.NewFromConfig(base)
	return &Accounts{
		base: base, home: home, cfg: cfg, sts: client, ids: client,
		creds: map[string]*aws.CredentialsCache{}, clients: map[string]*Clients{},
	}
}

// AccountError says why an account and Region get no clients. It names
// the account, the Region and, when one was to be assumed, the role.
type AccountError struct {
	Account, Region string
	RoleARN         string // the member role that could not be assumed, or ""
	// NotServed: the account or Region is not one vpcguard serves
	// (configuration, not a fault); otherwise the role could not be
	// assumed (bad input or a broken member deployment: an alarm).
	NotServed bool
	Err       error
}

func (e *AccountError) Error() string {
	if e.RoleARN != "" {
		return fmt.Sprintf("account %s (%s): cannot assume %s: %s", e.Account, e.Region, e.RoleARN, apiErrorText(e.Err))
	}
	return fmt.Sprintf("account %s (%s): %s", e.Account, e.Region, apiErrorText(e.Err))
}

// apiErrorText is the service's own words for an AWS error (code, message
// and request id), without the SDK's layers; other errors as they are.
func apiErrorText(err error) string {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err.Error()
	}
	s := api.ErrorCode() + ": " + api.ErrorMessage()
	var re interface{ ServiceRequestID() string }
	if errors.As(err, &re) && re.ServiceRequestID() != "" {
		s += " (request " + re.ServiceRequestID() + ")"
	}
	return s
}

func (e *AccountError) Unwrap() error { return e.Err }

// Is makes a NotServed error match guard.ErrNotServed.
func (e *AccountError) Is(target error) bool { return e.NotServed && target == guard.ErrNotServed }

// Clients returns the clients of account in region (account "" is the
// function's own).
func (a *Accounts) Clients(ctx context.Context, account, region string) (*Clients, error) {
	if region == "" {
		region = a.home.Region
	}
	// Config checks the Region and account, and renews the member session
	// when it is about to expire (one AssumeRole per account and session).
	cfg, err := a.Config(ctx, account, region)
	if err != nil {
		return nil, err
	}
	home, _ := a.HomeAccount(ctx) // known: Config asked
	if account == "" {
		account = home
	}
	return a.cached(account+"/"+cfg.Region, func() (*Clients, error) {
		if account == home && cfg.Region == a.home.Region {
			return a.home, nil
		}
		return ClientsFrom(cfg)
	})
}

// Config is the aws.Config of account in region, for any SDK client: the
// function's own credentials for its own account, the member role's
// (assumed now if need be) for another, under the same rules as Clients.
func (a *Accounts) Config(ctx context.Context, account, region string) (aws.Config, error) {
	if region == "" {
		region = a.home.Region
	}
	if !a.cfg.ServesRegion(region, a.home.Region) {
		served := a.home.Region + " (the function's own Region; set VPCGUARD_REGIONS to serve others)"
		if len(a.cfg.Regions) > 0 {
			served = strings.Join(a.cfg.Regions, ", ") + " (VPCGUARD_REGIONS)"
		}
		return aws.Config{}, &AccountError{Account: account, Region: region, NotServed: true,
			Err: fmt.Errorf("%s is not a Region vpcguard serves: %s", region, served)}
	}
	home, err := a.HomeAccount(ctx)
	if err != nil {
		return aws.Config{}, &AccountError{Account: account, Region: region, Err: err}
	}
	cfg := a.base.Copy()
	cfg.Region = region
	if account == "" || account == home {
		return cfg, nil
	}
	if !a.cfg.Organization() {
		return aws.Config{}, &AccountError{Account: account, Region: region, NotServed: true,
			Err: fmt.Errorf("vpcguard reads account %s only (single-account mode: %s is unset)", home, config.EnvMemberRole)}
	}
	roleARN := a.cfg.MemberRoleARN(partitionOf(region), account)
	creds := a.session(account, roleARN)
	if _, err := creds.Retrieve(ctx); err != nil {
		return aws.Config{}, &AccountError{Account: account, Region: region, RoleARN: roleARN, Err: err}
	}
	cfg.Credentials = creds
	return cfg, nil
}

// HomeAccount is the function's own account: that of VPCGUARD_ROLE_ARN,
// else the caller's (STS GetCallerIdentity, asked until it answers once).
func (a *Accounts) HomeAccount(ctx context.Context) (string, error) {
	a.homeMu.Lock()
	defer a.homeMu.Unlock()
	if a.homeAccount != "" {
		return a.homeAccount, nil
	}
	if a.homeAccount = a.cfg.HomeAccount(); a.homeAccount != "" {
		return a.homeAccount, nil
	}
	out, err := a.ids.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the function's own account (STS GetCallerIdentity): %w", err)
	}
	a.homeAccount = aws.ToString(out.Account)
	return a.homeAccount, nil
}

func (a *Accounts) cached(key string, build func() (*Clients, error)) (*Clients, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.clients[key]; c != nil {
		return c, nil
	}
	c, err := build()
	if err != nil {
		return nil, err
	}
	a.clients[key] = c
	return c, nil
}

// session is the member role's credentials for account: one cache per
// account, so one AssumeRole per account until the session is renewed.
func (a *Accounts) session(account, roleARN string) *aws.CredentialsCache {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.creds[account]; c != nil {
		return c
	}
	provider := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		return stscreds.NewAssumeRoleProvider(a.sts, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionNameOf(ctx)
			o.Duration = MemberSessionDuration
		}).Retrieve(ctx)
	})
	c := aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = MemberRenewBefore })
	a.creds[account] = c
	return c
}

type sessionNameKey struct{}

// WithSessionName names the member-role sessions that ctx opens (the
// event id, the sweep run): CloudTrail records it in the member account.
// The name is reduced to STS's 2-64 characters of [\w+=,.@-] and gets the
// prefix "vpcguard-".
func WithSessionName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, sessionNameKey{}, SessionName(name))
}

// SessionName is a RoleSessionName for name: "vpcguard-" + name, other
// characters than [A-Za-z0-9_+=,.@-] replaced by "-", at most 64.
func SessionName(name string) string {
	s := []byte("vpcguard-" + strings.TrimPrefix(name, "vpcguard-"))
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0
		if !ok {
			s[i] = '-'
		}
	}
	return string(s[:min(len(s), 64)])
}

func sessionNameOf(ctx context.Context) string {
	if s, ok := ctx.Value(sessionNameKey{}).(string); ok && s != "" {
		return s
	}
	return SessionName(time.Now().UTC().Format("20060102T150405Z"))
}

// guardTargets serves guard.Handler.Targets from the factory: the gatherer
// and remediator of the event's account and Region, with the member-role
// session (if one is opened) named after the event.
type guardTargets struct {
	accounts  AccountClients
	newTarget func(*Clients) guard.Target
}

func (t guardTargets) Target(ctx context.Context, call cloudtrail.Call) (guard.Target, error) {
	c, err := t.accounts.Clients(WithSessionName(ctx, call.EnvelopeID), call.Account, call.Region)
	if err != nil {
		return guard.Target{}, err
	}
	return t.newTarget(c), nil
}
