package sweep

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// Account is an account the organization sweep covers.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// OrganizationsAPI is the part of *organizations.Client the sweep reads.
type OrganizationsAPI interface {
	organizations.ListAccountsAPIClient
	organizations.ListAccountsForParentAPIClient
	organizations.ListOrganizationalUnitsForParentAPIClient
}

// OrganizationAccounts lists the accounts of the organization that the
// sweep covers: those of Parents (OUs or the root) and of every OU under
// them (ListAccountsForParent and ListOrganizationalUnitsForParent), or,
// with no Parents, every account (ListAccounts). Suspended and closed
// accounts cannot be assumed into; they are returned apart.
type OrganizationAccounts struct {
	Client  OrganizationsAPI
	Parents []string
}

// List returns the active accounts, in the order listed, and those left out.
func (o OrganizationAccounts) List(ctx context.Context) (active []Account, inactive []string, err error) {
	seen := map[string]bool{}
	add := func(accts []orgtypes.Account) {
		for _, a := range accts {
			id := aws.ToString(a.Id)
			if seen[id] {
				continue
			}
			seen[id] = true
			state := string(a.State)
			if state == "" {
				state = string(a.Status) // before the State field
			}
			if state != "" && state != string(orgtypes.AccountStateActive) {
				inactive = append(inactive, fmt.Sprintf("%s (%s)", id, strings.ToLower(state)))
				continue
			}
			active = append(active, Account{ID: id, Name: aws.ToString(a.Name)})
		}
	}
	if len(o.Parents) == 0 {
		p := organizations.NewListAccountsPaginator(o.Client, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("organizations ListAccounts: %w", err)
			}
			add(page.Accounts)
		}
		return active, inactive, nil
	}
	queue := slices.Clone(o.Parents)
	visited := map[string]bool{}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		if visited[parent] {
			continue
		}
		visited[parent] = true
		accts := organizations.NewListAccountsForParentPaginator(o.Client, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for accts.HasMorePages() {
			page, err := accts.NextPage(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("organizations ListAccountsForParent %s: %w", parent, err)
			}
			add(page.Accounts)
		}
		ous := organizations.NewListOrganizationalUnitsForParentPaginator(o.Client, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for ous.HasMorePages() {
			page, err := ous.NextPage(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("organizations ListOrganizationalUnitsForParent %s: %w", parent, err)
			}
			for _, ou := range page.OrganizationalUnits {
				queue = append(queue, aws.ToString(ou.Id))
			}
		}
	}
	return active, inactive, nil
}
