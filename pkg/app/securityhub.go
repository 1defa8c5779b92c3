package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	awssecurityhub "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/securityhub"
)

// SecurityHubPublisher writes findings (VPCGUARD_SECURITY_HUB=true) to the
// Security Hub of the account and Region that own each resource. With
// accounts nil that is the function's own account and Region only
// (single-account mode); with accounts (organization mode, several
// Regions) every account and Region they serve, each through a client that
// signs with that account's own credentials: the function's for its own
// account, the member role's for a member, so that each finding is
// imported by the account it is about, under that account's product.
func SecurityHubPublisher(c *Clients, accounts AccountClients, log *slog.Logger) *securityhub.Publisher {
	var hubs securityhub.Hubs = securityhub.NewSingleAccount(c.Config)
	if accounts != nil {
		hubs = &AccountHubs{Accounts: accounts}
	}
	return &securityhub.Publisher{
		Hubs:    hubs,
		Options: securityhub.Options{Partition: c.Partition, Version: securityhub.BuildVersion()},
		Log:     log,
	}
}

// AccountHubs is the Security Hubs of every account and Region the
// factory serves. An account or Region it does not serve (a Region outside
// VPCGUARD_REGIONS, another account in single-account mode) is
// securityhub.ErrNotServed: nothing is sent, anywhere. A member role that
// cannot be assumed is an error naming the role. Safe for concurrent use.
type AccountHubs struct {
	Accounts AccountClients

	mu   sync.Mutex
	hubs map[string]*awssecurityhub.Client // account/region
}

// Hub is the Security Hub of account in region, signing as that account.
func (h *AccountHubs) Hub(ctx context.Context, account, region string) (securityhub.API, error) {
	// Config checks the account and Region every time, and renews the
	// member session when it is about to expire; the clients keep the
	// session's credentials cache, so a kept client renews it too.
	cfg, err := h.Accounts.Config(ctx, account, region)
	if errors.Is(err, guard.ErrNotServed) {
		return nil, fmt.Errorf("%w: %w", securityhub.ErrNotServed, err)
	}
	if err != nil {
		return nil, err
	}
	key := account + "/" + cfg.Region
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.hubs[key]; c != nil {
		return c, nil
	}
	if h.hubs == nil {
		h.hubs = map[string]*awssecurityhub.Client{}
	}
	c := awssecurityhub.NewFromConfig(cfg)
	h.hubs[key] = c
	return c, nil
}
