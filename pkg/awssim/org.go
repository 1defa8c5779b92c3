package awssim

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Org is a simulated AWS Organization: one http.Handler in front of a
// Server per account and Region. A request goes to the account its access
// key belongs to and the Region of its SigV4 credential scope, so one URL
// (AWS_ENDPOINT_URL) serves every account and Region at once, as AWS's
// endpoints do. The Org itself answers STS (AssumeRole, GetCallerIdentity)
// and Organizations (ListAccounts, ListAccountsForParent,
// ListOrganizationalUnitsForParent):
//
//   - the base credentials are Principals: an access key id that stands
//     for a role session in some account (the function roles of a central
//     account, say);
//   - AssumeRole checks that the role exists in the target account (IAM is
//     global: a role listed in any of the account's Region scenarios) and
//     that its trust policy (Role.TrustPolicy) allows the caller, and
//     answers 403 AccessDenied otherwise, in STS's words; it then issues
//     temporary credentials (ASIA… key, secret, session token, expiry)
//     whose requests go to the role's account;
//   - a request signed with an unknown key is 403 InvalidClientTokenId
//     (EC2: 401 AuthFailure), with an expired one 400 ExpiredToken, with
//     the wrong session token 403 InvalidClientTokenId;
//   - Organizations answers only the management account and the delegated
//     administrators (400 AccessDeniedException otherwise), pages with
//     NextToken (MaxResults 1-20) and lists accounts as the service does:
//     ListAccountsForParent the direct children of a root or OU only.
//
// An account or Region without a scenario is empty (no VPC, no model), as
// a new Region of a real account is. Accounts outside the organization
// have no state and no role: AssumeRole into them is AccessDenied.
type Org struct {
	id, root, mgmt, partition string
	delegated                 map[string]bool
	ous                       map[string]*OrganizationalUnit
	accounts                  []*OrgAccount // in scenario order
	byID                      map[string]*OrgAccount
	pageSize                  int
	emptyFirstPage            bool

	// global serves STS and Organizations: their counters, faults and
	// error envelopes (SetFault("sts:AssumeRole", …) on it).
	global *Server
	stsDef *serviceDef
	orgDef *serviceDef

	mu       sync.Mutex
	servers  map[string]*Server // account/region
	sessions map[string]*session
	assumed  []AssumedRole
	seq      int
	now      func() time.Time

	url string
}

// OrgScenario describes an organization for NewOrg (JSON: ParseOrgScenario).
type OrgScenario struct {
	ID     string `json:"id"`               // o-…; default o-awssim0001
	RootID string `json:"rootId,omitempty"` // r-…; default r-awss
	// ManagementAccount defaults to the first account.
	ManagementAccount string `json:"managementAccount,omitempty"`
	// DelegatedAdministrators may call Organizations' read operations too.
	DelegatedAdministrators []string             `json:"delegatedAdministrators,omitempty"`
	OrganizationalUnits     []OrganizationalUnit `json:"organizationalUnits,omitempty"`
	Accounts                []OrgAccount         `json:"accounts"`
	// Principals are the base credentials; default one, TestAccessKeyID as
	// arn:<partition>:iam::<first account>:role/vpcguard.
	Principals []Principal `json:"principals,omitempty"`
	// PageSize caps Organizations' pages (default 20, its largest MaxResults).
	PageSize int `json:"pageSize,omitempty"`
	// EmptyFirstPage makes the first page of every Organizations list
	// empty but with a NextToken, which the service documents it may do.
	EmptyFirstPage bool `json:"emptyFirstPage,omitempty"`
}

// OrganizationalUnit is an OU: ou-<root>-<suffix>, under the root or an OU.
type OrganizationalUnit struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"` // default the root
}

// OrgAccount is an account of the organization and its state per Region.
type OrgAccount struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`   // default "account-<id>"
	Email  string `json:"email,omitempty"`  // default <id>@example.com
	Parent string `json:"parent,omitempty"` // the root (default) or an OU
	Status string `json:"status,omitempty"` // ACTIVE (default) or SUSPENDED
	// Regions are the account's scenarios, one per Region (Account is
	// filled in); a Region not listed is empty.
	Regions []*Scenario `json:"regions,omitempty"`
}

// Principal is a base credential: an access key that signs as a session
// of RoleARN (arn:…:iam::A:role/[path/]NAME).
type Principal struct {
	AccessKeyID string `json:"accessKeyId"`
	RoleARN     string `json:"roleArn"`
}

// AssumedRole is one AssumeRole that succeeded.
type AssumedRole struct {
	Caller      string    `json:"caller"`  // the caller's session ARN
	RoleARN     string    `json:"roleArn"` // as requested
	Account     string    `json:"account"`
	SessionName string    `json:"sessionName"`
	Duration    int       `json:"durationSeconds"`
	Time        time.Time `json:"time"`
}

// session is what an access key signs as.
type session struct {
	principal
	token   string    // the session token its requests must carry; "" for base credentials
	expires time.Time // zero for base credentials
}

var (
	orgIDRE   = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	rootIDRE  = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDRE    = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	parentRE  = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	sessionRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// NewOrg validates o and builds the organization's servers.
func NewOrg(o *OrgScenario) (*Org, error) {
	if o == nil || len(o.Accounts) == 0 {
		return nil, fmt.Errorf("org scenario: want at least one account")
	}
	org := &Org{
		id: o.ID, root: o.RootID, mgmt: o.ManagementAccount, pageSize: o.PageSize, emptyFirstPage: o.EmptyFirstPage,
		delegated: map[string]bool{}, ous: map[string]*OrganizationalUnit{}, byID: map[string]*OrgAccount{},
		servers: map[string]*Server{}, sessions: map[string]*session{}, now: time.Now,
	}
	v := &validation{}
	if org.id == "" {
		org.id = "o-awssim0001"
	}
	if !orgIDRE.MatchString(org.id) {
		v.add("organization id %q: want o- and 10 to 32 lower-case letters or digits", org.id)
	}
	if org.root == "" {
		org.root = "r-awss"
	}
	if !rootIDRE.MatchString(org.root) {
		v.add("root id %q: want r- and 4 to 32 lower-case letters or digits", org.root)
	}
	if org.pageSize == 0 {
		org.pageSize = 20
	}
	if org.pageSize < 1 || org.pageSize > 20 {
		v.add("pageSize %d: want 1 to 20", org.pageSize)
	}
	if org.mgmt == "" {
		org.mgmt = o.Accounts[0].ID
	}
	for i := range o.OrganizationalUnits {
		ou := o.OrganizationalUnits[i]
		if ou.Parent == "" {
			ou.Parent = org.root
		}
		if !ouIDRE.MatchString(ou.ID) {
			v.add("organizational unit %q: want ou-<root>-<suffix>", ou.ID)
		}
		if org.ous[ou.ID] != nil {
			v.add("organizational unit %s is defined twice", ou.ID)
		}
		org.ous[ou.ID] = &ou
	}
	for _, ou := range org.ous {
		if ou.Parent != org.root && org.ous[ou.Parent] == nil {
			v.add("organizational unit %s: parent %s is neither the root nor an OU", ou.ID, ou.Parent)
		}
		for seen, p := map[string]bool{}, ou; p != nil && p.Parent != org.root; p = org.ous[p.Parent] {
			if seen[p.ID] {
				v.add("organizational unit %s is its own ancestor", ou.ID)
				break
			}
			seen[p.ID] = true
		}
	}
	for i := range o.Accounts {
		a := o.Accounts[i]
		if !accountID.MatchString(a.ID) {
			v.add("account %q: want 12 digits", a.ID)
			continue
		}
		if org.byID[a.ID] != nil {
			v.add("account %s is defined twice", a.ID)
			continue
		}
		if a.Parent == "" {
			a.Parent = org.root
		}
		if a.Parent != org.root && org.ous[a.Parent] == nil {
			v.add("account %s: parent %s is neither the root nor an OU", a.ID, a.Parent)
		}
		switch a.Status {
		case "":
			a.Status = "ACTIVE"
		case "ACTIVE", "SUSPENDED":
		default:
			v.add("account %s: status %q: want ACTIVE or SUSPENDED", a.ID, a.Status)
		}
		a.Name = cmp.Or(a.Name, "account-"+a.ID)
		a.Email = cmp.Or(a.Email, a.ID+"@example.com")
		for _, sc := range a.Regions {
			if sc == nil {
				continue
			}
			sc.Account = cmp.Or(sc.Account, a.ID)
			if sc.Account != a.ID {
				v.add("account %s: a Region scenario names account %s", a.ID, sc.Account)
				continue
			}
			srv, err := NewServer(sc)
			if err != nil {
				v.add("account %s: %v", a.ID, err)
				continue
			}
			key := a.ID + "/" + srv.Region()
			if org.servers[key] != nil {
				v.add("account %s: two scenarios for %s", a.ID, srv.Region())
			}
			org.servers[key] = srv
			if org.partition == "" {
				org.partition = srv.st.partition
			}
		}
		org.accounts = append(org.accounts, &a)
		org.byID[a.ID] = &a
	}
	if org.partition == "" {
		org.partition = "aws"
	}
	if org.byID[org.mgmt] == nil {
		v.add("management account %s is not an account of the organization", org.mgmt)
	}
	for _, d := range o.DelegatedAdministrators {
		if org.byID[d] == nil {
			v.add("delegated administrator %s is not an account of the organization", d)
		}
		org.delegated[d] = true
	}
	principals := o.Principals
	if len(principals) == 0 {
		principals = []Principal{{AccessKeyID: TestAccessKeyID, RoleARN: fmt.Sprintf("arn:%s:iam::%s:role/vpcguard", org.partition, o.Accounts[0].ID)}}
	}
	for _, p := range principals {
		account, name, ok := splitRoleARN(p.RoleARN)
		switch {
		case p.AccessKeyID == "":
			v.add("principal %s: no access key id", p.RoleARN)
		case !ok:
			v.add("principal %s: want a role ARN arn:<partition>:iam::<account>:role/<name>", p.RoleARN)
		case org.sessions[p.AccessKeyID] != nil:
			v.add("principal access key %s is used twice", p.AccessKeyID)
		default:
			org.sessions[p.AccessKeyID] = &session{principal: principal{
				account: account, roleARN: p.RoleARN, orgID: org.orgOf(account),
				arn: fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/awssim", org.partition, account, name),
			}}
		}
	}
	if err := v.err(); err != nil {
		return nil, errors.New("org " + err.Error())
	}
	org.global = New(&Scenario{Account: org.mgmt, AnyRegion: true})
	org.stsDef = &serviceDef{name: "sts", proto: protoQuery, xmlns: services["sts"].xmlns, ops: map[string]handler{
		"AssumeRole":        func(_ *Server, c *call) (any, *apiError) { return org.assumeRole(c) },
		"GetCallerIdentity": func(_ *Server, c *call) (any, *apiError) { return org.getCallerIdentity(c) },
	}}
	org.orgDef = &serviceDef{name: "organizations", proto: protoJSON, target: "AWSOrganizationsV20161128", ops: map[string]handler{
		"ListAccounts":                     func(_ *Server, c *call) (any, *apiError) { return org.listAccounts(c, "") },
		"ListAccountsForParent":            func(_ *Server, c *call) (any, *apiError) { return org.listAccounts(c, "parent") },
		"ListOrganizationalUnitsForParent": func(_ *Server, c *call) (any, *apiError) { return org.listOUs(c) },
	}}
	return org, nil
}

// ParseOrgScenario decodes a JSON organization (unknown keys are errors);
// NewOrg validates it.
func ParseOrgScenario(b []byte) (*OrgScenario, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var o OrgScenario
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("org scenario: %w", err)
	}
	return &o, nil
}

// StartOrg serves o on an httptest server bound to 127.0.0.1 and closes it
// when the test ends.
func StartOrg(t testing.TB, o *OrgScenario) (*Org, string) {
	t.Helper()
	org, err := NewOrg(o)
	if err != nil {
		t.Fatalf("awssim: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("awssim: listen on 127.0.0.1: %v", err)
	}
	hs := httptest.NewUnstartedServer(org)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	org.SetURL(hs.URL)
	t.Cleanup(hs.Close)
	return org, hs.URL
}

// SetURL records where the organization is served (URL and its servers'
// URL return it).
func (o *Org) SetURL(url string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.url = url
	for _, s := range o.servers {
		s.url = url
	}
}

// URL is where the organization is served, once SetURL or StartOrg set it.
func (o *Org) URL() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.url
}

// ID, Root and ManagementAccount are the organization's.
func (o *Org) ID() string                { return o.id }
func (o *Org) Root() string              { return o.root }
func (o *Org) ManagementAccount() string { return o.mgmt }

// Accounts lists the organization's account ids, in scenario order.
func (o *Org) Accounts() []string {
	out := make([]string, 0, len(o.accounts))
	for _, a := range o.accounts {
		out = append(out, a.ID)
	}
	return out
}

// Server is the simulated account in region (created empty on first use).
func (o *Org) Server(account, region string) *Server {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.serverLocked(account, region, true)
}

// Global is the server that answers STS and Organizations for the
// organization: Calls("sts:AssumeRole"), SetFault("organizations:*", …).
func (o *Org) Global() *Server { return o.global }

// AssumedRoles lists the AssumeRole calls that succeeded, oldest first.
func (o *Org) AssumedRoles() []AssumedRole {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.assumed)
}

// Writes are the writes of every account and Region, each server's in
// order, servers by account then Region.
func (o *Org) Writes() map[string][]Write {
	out := map[string][]Write{}
	for key, s := range o.snapshotServers() {
		if w := s.Writes(); len(w) > 0 {
			out[key] = w
		}
	}
	return out
}

// SetClock replaces the clock of credential expiry (default time.Now).
func (o *Org) SetClock(now func() time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.now = now
}

func (o *Org) snapshotServers() map[string]*Server {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]*Server, len(o.servers))
	for k, s := range o.servers {
		out[k] = s
	}
	return out
}

// serverLocked finds the server of account in region; for a global
// service (IAM) any Region of the account will do. o.mu is held.
func (o *Org) serverLocked(account, region string, regional bool) *Server {
	if s := o.servers[account+"/"+region]; s != nil {
		return s
	}
	if !regional {
		keys := make([]string, 0, len(o.servers))
		for k := range o.servers {
			if strings.HasPrefix(k, account+"/") {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			sort.Strings(keys)
			return o.servers[keys[0]]
		}
	}
	s, err := NewServer(&Scenario{Account: account, Region: region})
	if err != nil { // a region name that does not parse
		s = New(&Scenario{Account: account, AnyRegion: true})
	}
	s.url = o.url
	o.servers[account+"/"+region] = s
	return s
}

// orgOf is the organization id of account, or "" outside it.
func (o *Org) orgOf(account string) string {
	if o.byID[account] != nil {
		return o.id
	}
	return ""
}

// callerKey carries the caller's session to the Org's own handlers.
type callerKey struct{}

func callerOf(c *call) *session {
	s, _ := c.r.Context().Value(callerKey{}).(*session)
	return s
}

// ServeHTTP routes a request to the account of its access key and the
// Region of its credential scope, or answers STS and Organizations.
func (o *Org) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_awssim/") {
		o.serveAdmin(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		o.global.render(&call{w: w, r: r, proto: guessProtocol(r, nil), reqID: uuidFrom(o.global.reqSeq.Add(1))}, nil,
			errorf(400, "RequestEntityTooLarge", "could not read the request body: %v", err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	region, svcName, aerr := parseAuth(r)
	if aerr != nil {
		o.global.ServeHTTP(w, r) // the same signature errors as one account
		return
	}
	svc := services[svcName]
	switch svcName {
	case "sts":
		svc = o.stsDef
	case "organizations":
		svc = o.orgDef
	}
	sess, aerr := o.session(r)
	if aerr != nil {
		c := &call{w: w, r: r, proto: guessProtocol(r, body), reqID: uuidFrom(o.global.reqSeq.Add(1)), svc: svc}
		if svc != nil {
			c.proto = svc.proto
			if svc.proto == protoEC2 {
				aerr = errorf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
			}
			if svc.proto == protoS3 && aerr.Code == "InvalidClientTokenId" {
				aerr = errorf(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
			}
		}
		o.global.render(c, nil, aerr)
		return
	}
	if svc == o.stsDef || svc == o.orgDef {
		o.serveGlobal(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, sess)), body, region, svc)
		return
	}
	o.mu.Lock()
	srv := o.serverLocked(sess.account, region, svc == nil || svc.regional)
	o.mu.Unlock()
	srv.ServeHTTP(w, r)
}

// session is the caller of r: a principal, or credentials AssumeRole
// issued and not yet expired.
func (o *Org) session(r *http.Request) (*session, *apiError) {
	akid, token := requestCredentials(r)
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.sessions[akid]
	switch {
	case s == nil:
		return nil, errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case s.token != "" && token != s.token:
		return nil, errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case !s.expires.IsZero() && !o.now().Before(s.expires):
		return nil, errorf(400, "ExpiredToken", "The security token included in the request is expired")
	}
	return s, nil
}

// requestCredentials reads the access key id of the SigV4 credential
// scope and the session token of r.
func requestCredentials(r *http.Request) (akid, token string) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if _, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		for _, part := range strings.Split(rest, ",") {
			if k, v, _ := strings.Cut(strings.TrimSpace(part), "="); k == "Credential" {
				cred = v
			}
		}
	}
	akid, _, _ = strings.Cut(cred, "/")
	token = r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}
	return akid, token
}

// serveGlobal answers an STS or Organizations call through the global
// server's routing, counters, faults and envelopes.
func (o *Org) serveGlobal(w http.ResponseWriter, r *http.Request, body []byte, region string, svc *serviceDef) {
	g := o.global
	c := &call{w: w, r: r, reqID: uuidFrom(g.reqSeq.Add(1)), body: body, svc: svc, proto: svc.proto, region: region}
	aerr := g.route(c)
	g.count(c)
	if aerr != nil {
		g.finish(c, nil, aerr)
		return
	}
	if aerr := g.applyFault(r.Context(), c); aerr != nil {
		c.injected = true
		g.finish(c, nil, aerr)
		return
	}
	v, aerr := c.svc.ops[c.op](g, c)
	g.finish(c, v, aerr)
}

// splitRoleARN splits arn:<partition>:iam::<account>:role/[path/]<name>.
func splitRoleARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || !accountID.MatchString(parts[4]) || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	name = parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	return parts[4], name, name != ""
}

// --- STS ---------------------------------------------------------------

type assumeRoleResult struct {
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
}

func (o *Org) assumeRole(c *call) (any, *apiError) {
	caller := callerOf(c)
	p := ec2Params(c.form)
	roleARN, name := p.str("RoleArn"), p.str("RoleSessionName")
	switch {
	case roleARN == "":
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case name == "":
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case len(name) < 2 || len(name) > 64:
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64", name)
	case !sessionRE.MatchString(name):
		return nil, errorf(400, "ValidationError", `1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, name)
	}
	duration := 3600
	if v := p.str("DurationSeconds"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &duration); err != nil || duration < 900 || duration > 43200 {
			return nil, errorf(400, "ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
		}
	}
	account, roleName, ok := splitRoleARN(roleARN)
	if !ok {
		return nil, errorf(400, "ValidationError", "%s is invalid", roleARN)
	}
	denied := errorf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, roleARN)
	role := o.findRole(account, roleName)
	asking := caller.principal
	asking.sessionName = name
	if role == nil || role.arn != roleARN || role.trust == nil || !role.trust.allows(asking, "sts:AssumeRole") {
		return nil, denied
	}
	if duration > 3600 { // every awssim caller is a role session
		return nil, errorf(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.MaxSessionDuration {
		return nil, errorf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	now := o.now().UTC()
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d", roleARN, name, o.seq))
	key := strings.ToUpper(hex.EncodeToString(sum[:]))
	akid := "ASIA" + key[:16]
	roleSum := sha256.Sum256([]byte(role.arn))
	roleID := "AROA" + strings.ToUpper(hex.EncodeToString(roleSum[:]))[:17]
	out := &assumeRoleResult{}
	out.AssumedRoleUser.Arn = fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", o.partition, account, role.Name, name)
	out.AssumedRoleUser.AssumedRoleID = roleID + ":" + name
	out.Credentials.AccessKeyID = akid
	out.Credentials.SecretAccessKey = hex.EncodeToString(sum[8:28])
	out.Credentials.SessionToken = "awssim/" + hex.EncodeToString(sum[:]) + "/" + akid
	expires := now.Add(time.Duration(duration) * time.Second)
	out.Credentials.Expiration = expires.Format(time.RFC3339)
	o.sessions[akid] = &session{
		principal: principal{account: account, roleARN: role.arn, arn: out.AssumedRoleUser.Arn, orgID: o.orgOf(account)},
		token:     out.Credentials.SessionToken, expires: expires,
	}
	o.assumed = append(o.assumed, AssumedRole{Caller: caller.arn, RoleARN: roleARN, Account: account, SessionName: name, Duration: duration, Time: now})
	return out, nil
}

// findRole looks the role up in every Region of account (IAM is global).
func (o *Org) findRole(account, name string) *roleState {
	o.mu.Lock()
	var servers []*Server
	for k, s := range o.servers {
		if strings.HasPrefix(k, account+"/") {
			servers = append(servers, s)
		}
	}
	o.mu.Unlock()
	for _, s := range servers {
		s.mu.RLock()
		r := s.st.roles[strings.ToLower(name)]
		s.mu.RUnlock()
		if r != nil {
			return r
		}
	}
	return nil
}

func (o *Org) getCallerIdentity(c *call) (any, *apiError) {
	caller := callerOf(c)
	session := caller.arn[strings.LastIndexByte(caller.arn, '/')+1:]
	sum := sha256.Sum256([]byte(caller.roleARN))
	return &callerIdentity{
		Arn:     caller.arn,
		UserID:  "AROA" + strings.ToUpper(hex.EncodeToString(sum[:]))[:17] + ":" + session,
		Account: caller.account,
	}, nil
}

// --- Organizations -----------------------------------------------------

type orgAccountJSON struct {
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	ID              string  `json:"Id"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
	Name            string  `json:"Name"`
	State           string  `json:"State"`
	Status          string  `json:"Status"`
}

type orgUnitJSON struct {
	Arn  string `json:"Arn"`
	ID   string `json:"Id"`
	Name string `json:"Name"`
}

// orgListRequest is the input of the three list operations.
type orgListRequest struct {
	ParentID   *string `json:"ParentId"`
	NextToken  *string `json:"NextToken"`
	MaxResults *int    `json:"MaxResults"`
}

// orgJoined is when every simulated account joined (a fixed instant).
var orgJoined = float64(time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC).Unix())

// orgAccess refuses callers that may not read the organization.
func (o *Org) orgAccess(c *call) *apiError {
	caller := callerOf(c)
	switch {
	case o.byID[caller.account] == nil:
		return errorf(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	case caller.account != o.mgmt && !o.delegated[caller.account]:
		return errorf(400, "AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return nil
}

// orgPage decodes the request and picks the page of n items it asks for.
func (o *Org) orgPage(c *call, needParent bool, n int) (req orgListRequest, start, end int, next string, aerr *apiError) {
	if err := json.Unmarshal(c.body, &req); err != nil && len(bytes.TrimSpace(c.body)) > 0 {
		return req, 0, 0, "", errorf(400, "SerializationException", "Start of structure or map found where not expected: %v", err)
	}
	if needParent {
		switch {
		case req.ParentID == nil || *req.ParentID == "":
			return req, 0, 0, "", errorf(400, "InvalidInputException", "You must specify a value for the ParentId parameter.")
		case !parentRE.MatchString(*req.ParentID):
			return req, 0, 0, "", errorf(400, "InvalidInputException", "You provided a value that does not match the required pattern.")
		case *req.ParentID != o.root && o.ous[*req.ParentID] == nil:
			return req, 0, 0, "", errorf(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
		}
	}
	limit := o.pageSize
	if req.MaxResults != nil {
		if *req.MaxResults < 1 || *req.MaxResults > 20 {
			return req, 0, 0, "", errorf(400, "InvalidInputException", "You provided a value that is outside the allowed range for MaxResults (1-20).")
		}
		limit = min(limit, *req.MaxResults)
	}
	key := c.key()
	if req.ParentID != nil {
		key += "/" + *req.ParentID
	}
	if req.NextToken == nil || *req.NextToken == "" {
		if o.emptyFirstPage && n > 0 {
			return req, 0, 0, encodeToken(key, 0), nil
		}
	} else {
		pos, ok := decodeToken(key, *req.NextToken)
		if !ok || pos > n {
			return req, 0, 0, "", errorf(400, "InvalidInputException", "The provided token is invalid (INVALID_PAGINATION_TOKEN).")
		}
		start = pos
	}
	end = min(start+limit, n)
	if end < n {
		next = encodeToken(key, end)
	}
	return req, start, end, next, nil
}

func (o *Org) listAccounts(c *call, byParent string) (any, *apiError) {
	if aerr := o.orgAccess(c); aerr != nil {
		return nil, aerr
	}
	var req orgListRequest
	_ = json.Unmarshal(c.body, &req)
	var list []*OrgAccount
	for _, a := range o.accounts {
		if byParent == "" || (req.ParentID != nil && a.Parent == *req.ParentID) {
			list = append(list, a)
		}
	}
	_, start, end, next, aerr := o.orgPage(c, byParent != "", len(list))
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Accounts  []orgAccountJSON `json:"Accounts"`
		NextToken string           `json:"NextToken,omitempty"`
	}{Accounts: []orgAccountJSON{}, NextToken: next}
	for _, a := range list[start:end] {
		method := "INVITED"
		if a.ID == o.mgmt {
			method = "CREATED"
		}
		out.Accounts = append(out.Accounts, orgAccountJSON{
			Arn:   fmt.Sprintf("arn:%s:organizations::%s:account/%s/%s", o.partition, o.mgmt, o.id, a.ID),
			Email: a.Email, ID: a.ID, JoinedMethod: method, JoinedTimestamp: orgJoined, Name: a.Name,
			State: a.Status, Status: a.Status,
		})
	}
	return out, nil
}

func (o *Org) listOUs(c *call) (any, *apiError) {
	if aerr := o.orgAccess(c); aerr != nil {
		return nil, aerr
	}
	var req orgListRequest
	_ = json.Unmarshal(c.body, &req)
	var list []*OrganizationalUnit
	for _, ou := range o.ous {
		if req.ParentID != nil && ou.Parent == *req.ParentID {
			list = append(list, ou)
		}
	}
	slices.SortFunc(list, func(a, b *OrganizationalUnit) int { return strings.Compare(a.ID, b.ID) })
	_, start, end, next, aerr := o.orgPage(c, true, len(list))
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		OrganizationalUnits []orgUnitJSON `json:"OrganizationalUnits"`
		NextToken           string        `json:"NextToken,omitempty"`
	}{OrganizationalUnits: []orgUnitJSON{}, NextToken: next}
	for _, ou := range list[start:end] {
		out.OrganizationalUnits = append(out.OrganizationalUnits, orgUnitJSON{
			Arn: fmt.Sprintf("arn:%s:organizations::%s:ou/%s/%s", o.partition, o.mgmt, o.id, ou.ID), ID: ou.ID, Name: ou.Name,
		})
	}
	return out, nil
}

// --- admin -------------------------------------------------------------

// serveAdmin serves /_awssim/ for the organization: health, the assumed
// roles, and each server's admin API under
// /_awssim/accounts/<account>/<region>/… (writes, stats, faults, …).
func (o *Org) serveAdmin(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/_awssim/health":
		writeJSON(map[string]any{"status": "ok", "organization": o.id, "accounts": o.Accounts()})
	case path == "/_awssim/assumed-roles" && r.Method == http.MethodGet:
		writeJSON(o.AssumedRoles())
	case strings.HasPrefix(path, "/_awssim/accounts/"):
		parts := strings.SplitN(strings.TrimPrefix(path, "/_awssim/accounts/"), "/", 3)
		if len(parts) != 3 || !accountID.MatchString(parts[0]) {
			http.Error(w, "want /_awssim/accounts/<account>/<region>/<admin path>", http.StatusNotFound)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/_awssim/" + parts[2]
		o.Server(parts[0], parts[1]).serveAdmin(w, r2)
	case strings.HasPrefix(path, "/_awssim/global/"):
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/_awssim/" + strings.TrimPrefix(path, "/_awssim/global/")
		o.global.serveAdmin(w, r2)
	default:
		http.Error(w, "unknown admin path or method: "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}
