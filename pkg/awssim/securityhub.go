package awssim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Security Hub speaks REST-JSON (restJson1): POST /findings/import is
// BatchImportFindings and POST /findings is GetFindings, with JSON bodies;
// errors carry X-Amzn-ErrorType and {"Code","Message"}.
//
// The simulated Security Hub keeps the findings of the scenario's account
// and region by Id. BatchImportFindings validates each finding as the
// service does (required attributes, lengths and counts of the ASFF, the
// 240 KB size) and answers refusals in FailedFindings with ErrorCode
// InvalidInput; a finding of another account, or under another product than
// the account's own, fails the whole call with AccessDeniedException. An
// import whose UpdatedAt is not later than the stored finding's is accepted
// and ignored. The fields people own (Workflow, Note, UserDefinedFields,
// VerificationState) are never changed by an import. GetFindings filters on
// string attributes (EQUALS, PREFIX, NOT_EQUALS, PREFIX_NOT_EQUALS,
// CONTAINS, NOT_CONTAINS) and pages by NextToken.

var securityHubOps = map[string]handler{
	"BatchImportFindings": (*Server).batchImportFindings,
	"GetFindings":         (*Server).getFindings,
}

// securityHubRoutes map "METHOD path" to the operation.
var securityHubRoutes = map[string]string{
	"POST /findings/import": "BatchImportFindings",
	"POST /findings":        "GetFindings",
}

// Security Hub limits (API Reference: BatchImportFindings takes 1 to 100
// findings, each at most 240 KB; a GetFindings filter has at most 10
// attributes with 20 values each; MaxResults is 1 to 100).
const (
	MaxImportFindings   = 100
	maxFindingSize      = 240 << 10
	maxFilterAttributes = 10
	maxFilterValues     = 20
	maxGetFindings      = 100
	asffSchemaVersion   = "2018-10-08"
)

// hubStore is the simulated Security Hub's findings.
type hubStore struct {
	mu       sync.Mutex
	findings map[string]map[string]any // by Id, as imported plus what Security Hub adds
	imports  int                       // BatchImportFindings calls that reached the service
	failures []ImportFailure
}

// ImportFailure makes BatchImportFindings refuse valid findings in
// FailedFindings, as the service does on an internal error. Call counts the
// BatchImportFindings calls that reach the service (injected faults are not
// counted), from 1; 0 means every call. Match, when set, must be a
// substring of the finding's Id.
type ImportFailure struct {
	Call         int    `json:"call,omitempty"`
	Match        string `json:"match,omitempty"`
	ErrorCode    string `json:"errorCode,omitempty"`    // default InternalFailure
	ErrorMessage string `json:"errorMessage,omitempty"` // default "Internal error"
}

// AddImportFailure adds a BatchImportFindings refusal rule.
func (s *Server) AddImportFailure(f ImportFailure) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.failures = append(s.hub.failures, f)
}

// injectedFailure is the rule that refuses finding id in call n, if any.
func (h *hubStore) injectedFailure(n int, id string) *importFailure {
	for _, f := range h.failures {
		if (f.Call == 0 || f.Call == n) && (f.Match == "" || strings.Contains(id, f.Match)) {
			out := importFailure{ID: id, ErrorCode: f.ErrorCode, ErrorMessage: f.ErrorMessage}
			if out.ErrorCode == "" {
				out.ErrorCode = "InternalFailure"
			}
			if out.ErrorMessage == "" {
				out.ErrorMessage = "Internal error"
			}
			return &out
		}
	}
	return nil
}

// SecurityHubNotEnabled is the fault of an account and region where
// Security Hub is not enabled: every call fails with the service's
// InvalidAccessException (HTTP 401).
func SecurityHubNotEnabled(account string) Fault {
	return Fault{Error: &FaultError{Code: "InvalidAccessException", Status: http.StatusUnauthorized,
		Message: "Account " + account + " is not subscribed to AWS Security Hub"}}
}

// Findings returns the stored Security Hub findings, by Id, as GetFindings
// returns them.
func (s *Server) Findings() map[string]map[string]any {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	out := make(map[string]map[string]any, len(s.hub.findings))
	for id, f := range s.hub.findings {
		out[id] = cloneJSON(f)
	}
	return out
}

// SetWorkflowStatus sets a stored finding's Workflow.Status as a person
// would (with BatchUpdateFindings, which awssim does not serve); it reports
// whether the finding exists.
func (s *Server) SetWorkflowStatus(id, status string) bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	f, ok := s.hub.findings[id]
	if ok {
		f["Workflow"] = map[string]any{"Status": status}
	}
	return ok
}

// routeREST finds the operation of a REST-JSON request by method and path.
func (s *Server) routeREST(c *call) *apiError {
	path := strings.TrimSuffix(c.r.URL.Path, "/")
	op, ok := securityHubRoutes[c.r.Method+" "+path]
	if !ok {
		c.op = "Unknown"
		return errorf(404, "UnknownOperationException", "awssim does not simulate %s %s", c.r.Method, c.r.URL.Path)
	}
	c.op = op
	return nil
}

func invalidInput(format string, args ...any) *apiError {
	return &apiError{Status: 400, Code: "InvalidInputException", Message: fmt.Sprintf(format, args...)}
}

type importFailure struct {
	ID           string `json:"Id"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

func (s *Server) batchImportFindings(c *call) (any, *apiError) {
	var in struct {
		Findings []json.RawMessage
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return nil, invalidInput("Could not parse the request body: %v", err)
	}
	if len(in.Findings) < 1 || len(in.Findings) > MaxImportFindings {
		return nil, invalidInput("Invalid parameter 'Findings': it must have between 1 and %d items, not %d", MaxImportFindings, len(in.Findings))
	}
	s.mu.RLock()
	account, region, partition, caller := s.st.account, s.st.region, s.st.partition, s.st.callerARN
	s.mu.RUnlock()
	product := "arn:" + partition + ":securityhub:" + region + ":" + account + ":product/" + account + "/default"

	decoded := make([]map[string]any, len(in.Findings))
	for i, raw := range in.Findings {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var f map[string]any
		if err := dec.Decode(&f); err != nil || f == nil {
			return nil, invalidInput("Finding %d is not a JSON object", i+1)
		}
		decoded[i] = f
		// Another product, or another account's finding, is refused for the
		// whole call (only the account a finding is about may import it
		// under its default product).
		if arn, _ := f["ProductArn"].(string); arn != "" && arn != product {
			return nil, &apiError{Status: 403, Code: "AccessDeniedException",
				Message: fmt.Sprintf("User: %s is not authorized to perform: securityhub:BatchImportFindings on resource: %s", caller, arn)}
		}
		if acct, _ := f["AwsAccountId"].(string); acct != "" && acct != account {
			return nil, &apiError{Status: 403, Code: "AccessDeniedException",
				Message: fmt.Sprintf("User: %s is not authorized to perform: securityhub:BatchImportFindings for account %s", caller, acct)}
		}
	}

	now := time.Now().UTC()
	var failed []importFailure
	ok, ignored := 0, 0
	s.hub.mu.Lock()
	if s.hub.findings == nil {
		s.hub.findings = map[string]map[string]any{}
	}
	s.hub.imports++
	for i, f := range decoded {
		id, _ := f["Id"].(string)
		if problem := validateFinding(f, len(in.Findings[i])); problem != "" {
			failed = append(failed, importFailure{ID: id, ErrorCode: "InvalidInput",
				ErrorMessage: "Finding does not adhere to Amazon Finding Format. " + problem})
			continue
		}
		if inj := s.hub.injectedFailure(s.hub.imports, id); inj != nil {
			failed = append(failed, *inj)
			continue
		}
		ok++
		old, exists := s.hub.findings[id]
		if exists && !laterTimestamp(f["UpdatedAt"], old["UpdatedAt"]) {
			ignored++
			continue
		}
		stored := cloneJSON(f)
		// Fields people own are kept from the stored finding (or start as
		// Security Hub starts them).
		for _, k := range []string{"Workflow", "WorkflowState", "Note", "UserDefinedFields", "VerificationState"} {
			delete(stored, k)
			if exists && old[k] != nil {
				stored[k] = old[k]
			}
		}
		if !exists {
			stored["Workflow"] = map[string]any{"Status": "NEW"}
			stored["WorkflowState"] = "NEW"
		}
		if stored["RecordState"] == nil {
			stored["RecordState"] = "ACTIVE"
		}
		stored["Region"] = region
		stored["ProcessedAt"] = now.Format("2006-01-02T15:04:05.000Z")
		fields, _ := stored["ProductFields"].(map[string]any)
		if fields == nil {
			fields = map[string]any{}
		}
		fields["aws/securityhub/FindingId"] = product + "/" + id
		fields["aws/securityhub/ProductName"] = stringOr(stored["ProductName"], "Default")
		fields["aws/securityhub/CompanyName"] = stringOr(stored["CompanyName"], "Personal")
		stored["ProductFields"] = fields
		s.hub.findings[id] = stored
	}
	s.hub.mu.Unlock()

	c.result = map[string]any{"successCount": ok, "failedCount": len(failed), "ignoredAsOlder": ignored}
	out := struct {
		FailedCount    int             `json:"FailedCount"`
		SuccessCount   int             `json:"SuccessCount"`
		FailedFindings []importFailure `json:"FailedFindings"`
	}{len(failed), ok, failed}
	if out.FailedFindings == nil {
		out.FailedFindings = []importFailure{}
	}
	return out, nil
}

func stringOr(v any, def string) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return def
}

var (
	hubTimestamp  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$`)
	hubAccount    = regexp.MustCompile(`^\d{12}$`)
	nonBlank      = regexp.MustCompile(`\S`)
	hubNamespaces = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}
	hubSeverities = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	hubCompliance = []string{"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"}
	hubRecord     = []string{"ACTIVE", "ARCHIVED"}
	hubPartitions = []string{"aws", "aws-cn", "aws-us-gov"}
)

// parseHubTime parses a Security Hub timestamp (RFC 3339 with up to nine
// fraction digits, Z or an offset).
func parseHubTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || !hubTimestamp.MatchString(s) {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999-07"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// laterTimestamp reports whether a is a later UpdatedAt than b.
func laterTimestamp(a, b any) bool {
	ta, okA := parseHubTime(a)
	tb, okB := parseHubTime(b)
	return okA && (!okB || ta.After(tb))
}

// validateFinding returns the first way f breaks the ASFF, in the
// service's words ("data.Title should NOT be longer than 256 characters."),
// or "".
func validateFinding(f map[string]any, size int) string {
	if size > maxFindingSize {
		return fmt.Sprintf("The finding is %d bytes; the maximum size of a finding is 240 KB.", size)
	}
	str := func(path string, v any) (string, string) {
		if v == nil {
			return "", ""
		}
		s, ok := v.(string)
		if !ok {
			return "", "data." + path + " should be string."
		}
		return s, ""
	}
	required := func(path string, v any, min, max int) string {
		if v == nil {
			return "data should have required property '" + path + "'."
		}
		s, bad := str(path, v)
		if bad != "" {
			return bad
		}
		return lengths(path, s, min, max)
	}
	for _, r := range []struct {
		key      string
		min, max int
	}{
		{"SchemaVersion", 1, 64}, {"Id", 1, 512}, {"ProductArn", 12, 2048}, {"GeneratorId", 1, 512},
		{"AwsAccountId", 12, 12}, {"CreatedAt", 1, 64}, {"UpdatedAt", 1, 64},
		{"Title", 1, 256}, {"Description", 1, 1024},
	} {
		if p := required(r.key, f[r.key], r.min, r.max); p != "" {
			return p
		}
	}
	if f["SchemaVersion"] != asffSchemaVersion {
		return "data.SchemaVersion should be equal to one of the allowed values: " + asffSchemaVersion + "."
	}
	if !hubAccount.MatchString(f["AwsAccountId"].(string)) {
		return "data.AwsAccountId should match pattern \"^\\d{12}$\"."
	}
	for _, k := range []string{"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"} {
		if f[k] != nil {
			if _, ok := parseHubTime(f[k]); !ok {
				return "data." + k + " should match format \"date-time\"."
			}
		}
	}
	for _, k := range []string{"CompanyName", "ProductName"} {
		if s, bad := str(k, f[k]); bad != "" {
			return bad
		} else if f[k] != nil {
			if p := lengths(k, s, 1, 128); p != "" {
				return p
			}
		}
	}
	provider, _ := f["FindingProviderFields"].(map[string]any)
	if p := validateSeverity("Severity", f["Severity"]); p != "" {
		return p
	}
	if provider != nil {
		if p := validateSeverity("FindingProviderFields.Severity", provider["Severity"]); p != "" {
			return p
		}
	}
	if f["Severity"] == nil && (provider == nil || provider["Severity"] == nil) {
		return "data should have required property 'Severity'."
	}
	if p := validateTypes("Types", f["Types"]); p != "" {
		return p
	}
	if provider != nil {
		if p := validateTypes("FindingProviderFields.Types", provider["Types"]); p != "" {
			return p
		}
	}
	if f["Types"] == nil && (provider == nil || provider["Types"] == nil) {
		return "data should have required property 'Types'."
	}
	resources, ok := f["Resources"].([]any)
	switch {
	case f["Resources"] == nil:
		return "data should have required property 'Resources'."
	case !ok:
		return "data.Resources should be array."
	case len(resources) < 1:
		return "data.Resources should NOT have fewer than 1 items."
	case len(resources) > 32:
		return "data.Resources should NOT have more than 32 items."
	}
	for i, r := range resources {
		if p := validateResource(fmt.Sprintf("Resources[%d]", i), r); p != "" {
			return p
		}
	}
	if rem, ok := f["Remediation"].(map[string]any); ok {
		if rec, ok := rem["Recommendation"].(map[string]any); ok && rec["Text"] != nil {
			s, bad := str("Remediation.Recommendation.Text", rec["Text"])
			if bad != "" {
				return bad
			}
			if p := lengths("Remediation.Recommendation.Text", s, 1, 512); p != "" {
				return p
			}
		}
	}
	if p := validateMap("ProductFields", f["ProductFields"], 128, 2048); p != "" {
		return p
	}
	if comp, ok := f["Compliance"].(map[string]any); ok {
		if st := comp["Status"]; st != nil && !oneOf(st, hubCompliance) {
			return "data.Compliance.Status should be equal to one of the allowed values."
		}
		if reqs, ok := comp["RelatedRequirements"].([]any); ok && len(reqs) > 32 {
			return "data.Compliance.RelatedRequirements should NOT have more than 32 items."
		}
	}
	if rs := f["RecordState"]; rs != nil && !oneOf(rs, hubRecord) {
		return "data.RecordState should be equal to one of the allowed values."
	}
	return ""
}

func lengths(path, s string, min, max int) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n < min:
		return fmt.Sprintf("data.%s should NOT be shorter than %d characters.", path, min)
	case n > max:
		return fmt.Sprintf("data.%s should NOT be longer than %d characters.", path, max)
	case min > 0 && !nonBlank.MatchString(s):
		return "data." + path + " should match pattern \".*\\S.*\"."
	}
	return ""
}

func oneOf(v any, allowed []string) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

func validateSeverity(path string, v any) string {
	if v == nil {
		return ""
	}
	sev, ok := v.(map[string]any)
	if !ok {
		return "data." + path + " should be object."
	}
	label, normalized := sev["Label"], sev["Normalized"]
	if label == nil && normalized == nil {
		return "data." + path + " should have required property 'Label'."
	}
	if label != nil && !oneOf(label, hubSeverities) {
		return "data." + path + ".Label should be equal to one of the allowed values."
	}
	if normalized != nil {
		n, err := strconv.Atoi(fmt.Sprint(normalized))
		if err != nil || n < 0 || n > 100 {
			return "data." + path + ".Normalized should be <= 100."
		}
	}
	if o, ok := sev["Original"].(string); ok {
		if p := lengths(path+".Original", o, 1, 64); p != "" {
			return p
		}
	}
	return ""
}

func validateTypes(path string, v any) string {
	if v == nil {
		return ""
	}
	list, ok := v.([]any)
	if !ok {
		return "data." + path + " should be array."
	}
	if len(list) > 50 {
		return "data." + path + " should NOT have more than 50 items."
	}
	for _, t := range list {
		s, ok := t.(string)
		if !ok {
			return "data." + path + " should be array of strings."
		}
		parts := strings.Split(s, "/")
		if len(parts) > 3 || !oneOf(parts[0], hubNamespaces) {
			return "data." + path + " should match the namespace/category/classifier format with a valid namespace."
		}
	}
	return ""
}

func validateResource(path string, v any) string {
	r, ok := v.(map[string]any)
	if !ok {
		return "data." + path + " should be object."
	}
	for _, k := range []string{"Type", "Id"} {
		s, isString := r[k].(string)
		if r[k] == nil {
			return "data." + path + " should have required property '" + k + "'."
		}
		if !isString {
			return "data." + path + "." + k + " should be string."
		}
		max := 2048
		if k == "Type" {
			max = 256
		}
		if p := lengths(path+"."+k, s, 1, max); p != "" {
			return p
		}
	}
	if p := r["Partition"]; p != nil && !oneOf(p, hubPartitions) {
		return "data." + path + ".Partition should be equal to one of the allowed values."
	}
	if reg, ok := r["Region"].(string); ok {
		if p := lengths(path+".Region", reg, 1, 16); p != "" {
			return p
		}
	}
	if d, ok := r["Details"].(map[string]any); ok {
		if p := validateMap(path+".Details.Other", d["Other"], 127, 1023); p != "" {
			return p
		}
	}
	return ""
}

// validateMap checks a string-to-string map of at most 50 pairs.
func validateMap(path string, v any, maxKey, maxValue int) string {
	if v == nil {
		return ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "data." + path + " should be object."
	}
	if len(m) > 50 {
		return "data." + path + " should NOT have more than 50 properties."
	}
	for k, val := range m {
		if utf8.RuneCountInString(k) > maxKey {
			return fmt.Sprintf("data.%s key %q should NOT be longer than %d characters.", path, k, maxKey)
		}
		s, ok := val.(string)
		if !ok {
			return fmt.Sprintf("data.%s[%q] should be string.", path, k)
		}
		if utf8.RuneCountInString(s) > maxValue {
			return fmt.Sprintf("data.%s[%q] should NOT be longer than %d characters.", path, k, maxValue)
		}
	}
	return ""
}

// hubFilterFields are the GetFindings string filters awssim evaluates, with
// the finding value(s) each one reads.
var hubFilterFields = map[string]func(map[string]any) []string{
	"Id":               field("Id"),
	"ProductArn":       field("ProductArn"),
	"GeneratorId":      field("GeneratorId"),
	"AwsAccountId":     field("AwsAccountId"),
	"RecordState":      field("RecordState"),
	"Title":            field("Title"),
	"CompanyName":      field("CompanyName"),
	"ProductName":      field("ProductName"),
	"ComplianceStatus": nested("Compliance", "Status"),
	"SeverityLabel":    nested("Severity", "Label"),
	"WorkflowStatus":   nested("Workflow", "Status"),
	"ResourceId":       resourceField("Id"),
	"ResourceType":     resourceField("Type"),
}

func field(k string) func(map[string]any) []string {
	return func(f map[string]any) []string {
		if s, ok := f[k].(string); ok {
			return []string{s}
		}
		return nil
	}
}

func nested(outer, inner string) func(map[string]any) []string {
	return func(f map[string]any) []string {
		if m, ok := f[outer].(map[string]any); ok {
			if s, ok := m[inner].(string); ok {
				return []string{s}
			}
		}
		return nil
	}
}

func resourceField(k string) func(map[string]any) []string {
	return func(f map[string]any) []string {
		var out []string
		list, _ := f["Resources"].([]any)
		for _, r := range list {
			if m, ok := r.(map[string]any); ok {
				if s, ok := m[k].(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
}

type stringFilter struct {
	Value      string
	Comparison string
}

func (s *Server) getFindings(c *call) (any, *apiError) {
	var in struct {
		Filters      map[string]json.RawMessage
		SortCriteria json.RawMessage
		NextToken    string
		MaxResults   *int
	}
	if len(bytes.TrimSpace(c.body)) > 0 {
		if err := json.Unmarshal(c.body, &in); err != nil {
			return nil, invalidInput("Could not parse the request body: %v", err)
		}
	}
	if len(in.SortCriteria) > 0 && string(in.SortCriteria) != "null" {
		return nil, invalidInput("awssim does not simulate SortCriteria")
	}
	limit := maxGetFindings
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxGetFindings {
			return nil, invalidInput("Invalid parameter 'MaxResults': it must be between 1 and %d", maxGetFindings)
		}
		limit = *in.MaxResults
	}
	if len(in.Filters) > maxFilterAttributes {
		return nil, invalidInput("Invalid parameter 'Filters': at most %d finding attributes, not %d", maxFilterAttributes, len(in.Filters))
	}
	filters := map[string][]stringFilter{}
	for name, raw := range in.Filters {
		get := hubFilterFields[name]
		if get == nil {
			return nil, invalidInput("awssim does not simulate the filter %q", name)
		}
		var list []stringFilter
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, invalidInput("Invalid parameter 'Filters.%s': %v", name, err)
		}
		if len(list) > maxFilterValues {
			return nil, invalidInput("Invalid parameter 'Filters.%s': at most %d filter values, not %d", name, maxFilterValues, len(list))
		}
		for _, sf := range list {
			switch sf.Comparison {
			case "EQUALS", "PREFIX", "CONTAINS", "NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS":
			default:
				return nil, invalidInput("Invalid parameter 'Filters.%s': unknown comparison %q", name, sf.Comparison)
			}
		}
		filters[name] = list
	}
	offset := 0
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, convErr := strconv.Atoi(string(b))
		if err != nil || convErr != nil || n < 0 {
			return nil, invalidInput("Invalid parameter 'NextToken'")
		}
		offset = n
	}

	s.hub.mu.Lock()
	ids := make([]string, 0, len(s.hub.findings))
	for id, f := range s.hub.findings {
		if matchesFilters(f, filters) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var page []map[string]any
	for _, id := range ids[min(offset, len(ids)):min(offset+limit, len(ids))] {
		page = append(page, cloneJSON(s.hub.findings[id]))
	}
	s.hub.mu.Unlock()

	out := struct {
		Findings  []map[string]any `json:"Findings"`
		NextToken string           `json:"NextToken,omitempty"`
	}{Findings: page}
	if out.Findings == nil {
		out.Findings = []map[string]any{}
	}
	if offset+limit < len(ids) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + limit)))
	}
	return out, nil
}

// matchesFilters applies every attribute's filters: within an attribute
// the positive comparisons are joined by OR and the negative ones by AND;
// the attributes are joined by AND.
func matchesFilters(f map[string]any, filters map[string][]stringFilter) bool {
	for name, list := range filters {
		values := hubFilterFields[name](f)
		anyPos, posMatched := false, false
		for _, sf := range list {
			switch sf.Comparison {
			case "EQUALS", "PREFIX", "CONTAINS":
				anyPos = true
				for _, v := range values {
					if compare(v, sf) {
						posMatched = true
					}
				}
			default:
				for _, v := range values {
					if !compare(v, sf) {
						return false
					}
				}
			}
		}
		if anyPos && !posMatched {
			return false
		}
	}
	return true
}

// compare is true when v passes sf (for the negative comparisons: when v
// is not excluded).
func compare(v string, sf stringFilter) bool {
	switch sf.Comparison {
	case "EQUALS":
		return v == sf.Value
	case "PREFIX":
		return strings.HasPrefix(v, sf.Value)
	case "CONTAINS":
		return strings.Contains(v, sf.Value)
	case "NOT_EQUALS":
		return v != sf.Value
	case "PREFIX_NOT_EQUALS":
		return !strings.HasPrefix(v, sf.Value)
	case "NOT_CONTAINS":
		return !strings.Contains(v, sf.Value)
	}
	return false
}

// cloneJSON deep-copies a decoded JSON object.
func cloneJSON(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	dec.Decode(&out)
	return out
}
