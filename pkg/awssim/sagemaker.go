package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SageMaker speaks awsJson1_1 (X-Amz-Target: SageMaker.<Op>), as the SDK's
// sagemaker client does (awsjson.New11 in its api_client.go).

var sageMakerOps = map[string]handler{
	"DescribeModel":          (*Server).describeModel,
	"DescribeEndpointConfig": (*Server).describeEndpointConfig,
	"DescribeEndpoint":       (*Server).describeEndpoint,
	"ListModels":             (*Server).listModels,
	"ListEndpoints":          (*Server).listEndpoints,
	"ListTags":               (*Server).listTags,
	// capacity.go
	"UpdateEndpointWeightsAndCapacities": (*Server).updateEndpointWeightsAndCapacities,
}

// epoch is a timestamp rendered as epoch seconds, as awsJson does.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64)), nil
}

func (t *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return fmt.Errorf("timestamp %s: want epoch seconds", b)
		}
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return err
		}
		*t = epoch(tt)
		return nil
	}
	sec, frac := math.Modf(f)
	*t = epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

// decodeJSON decodes a JSON request body into v.
func decodeJSON(c *call, v any) *apiError {
	body := bytes.TrimSpace(c.body)
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(400, "SerializationException", "Could not parse the request body: %v", err)
	}
	return nil
}

func validationError(format string, args ...any) *apiError {
	return errorf(400, "ValidationException", format, args...)
}

type smContainer struct {
	ContainerHostname string            `json:"ContainerHostname,omitempty"`
	Image             string            `json:"Image,omitempty"`
	Mode              string            `json:"Mode,omitempty"`
	ModelDataURL      string            `json:"ModelDataUrl,omitempty"`
	ModelDataSource   *smModelDataSrc   `json:"ModelDataSource,omitempty"`
	Environment       map[string]string `json:"Environment"`
}

type smModelDataSrc struct {
	S3DataSource struct {
		S3URI           string `json:"S3Uri"`
		S3DataType      string `json:"S3DataType"`
		CompressionType string `json:"CompressionType"`
	} `json:"S3DataSource"`
}

type smVpcConfig struct {
	SecurityGroupIDs []string `json:"SecurityGroupIds"`
	Subnets          []string `json:"Subnets"`
}

func smVPC(v *VPCConfig) *smVpcConfig {
	if v == nil {
		return nil
	}
	return &smVpcConfig{SecurityGroupIDs: nonNil(v.SecurityGroupIDs), Subnets: nonNil(v.Subnets)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func smContainerOf(c Container) smContainer {
	out := smContainer{
		ContainerHostname: c.ContainerHostname, Image: c.Image, Mode: c.Mode,
		ModelDataURL: c.ModelDataURL, Environment: c.Environment,
	}
	if out.Environment == nil {
		out.Environment = map[string]string{}
	}
	if c.ModelDataS3URI != "" {
		src := &smModelDataSrc{}
		src.S3DataSource.S3URI = c.ModelDataS3URI
		src.S3DataSource.S3DataType = "S3Prefix"
		src.S3DataSource.CompressionType = "None"
		out.ModelDataSource = src
	}
	return out
}

type describeModelOutput struct {
	ModelName              string        `json:"ModelName"`
	ModelArn               string        `json:"ModelArn"`
	PrimaryContainer       *smContainer  `json:"PrimaryContainer,omitempty"`
	Containers             []smContainer `json:"Containers,omitempty"`
	ExecutionRoleArn       string        `json:"ExecutionRoleArn"`
	VpcConfig              *smVpcConfig  `json:"VpcConfig,omitempty"`
	CreationTime           epoch         `json:"CreationTime"`
	EnableNetworkIsolation bool          `json:"EnableNetworkIsolation"`
}

func (s *Server) describeModel(c *call) (any, *apiError) {
	var in struct{ ModelName string }
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.ModelName == "" {
		return nil, validationError("1 validation error detected: Value null at 'modelName' failed to satisfy constraint: Member must not be null")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.st.models[strings.ToLower(in.ModelName)]
	if !ok {
		return nil, validationError("Could not find model \"%s\".", s.st.sageMakerARN("model", in.ModelName))
	}
	out := &describeModelOutput{
		ModelName:              m.Name,
		ModelArn:               m.arn,
		ExecutionRoleArn:       m.roleARN,
		VpcConfig:              smVPC(m.VPCConfig),
		CreationTime:           epoch(m.created),
		EnableNetworkIsolation: m.EnableNetworkIsolation,
	}
	if m.PrimaryContainer != nil {
		pc := smContainerOf(*m.PrimaryContainer)
		out.PrimaryContainer = &pc
	}
	for _, ct := range m.Containers {
		out.Containers = append(out.Containers, smContainerOf(ct))
	}
	return out, nil
}

type smVariant struct {
	VariantName          string  `json:"VariantName"`
	ModelName            string  `json:"ModelName"`
	InitialInstanceCount int32   `json:"InitialInstanceCount"`
	InstanceType         string  `json:"InstanceType"`
	InitialVariantWeight float32 `json:"InitialVariantWeight"`
}

type describeEndpointConfigOutput struct {
	EndpointConfigName     string       `json:"EndpointConfigName"`
	EndpointConfigArn      string       `json:"EndpointConfigArn"`
	ProductionVariants     []smVariant  `json:"ProductionVariants"`
	VpcConfig              *smVpcConfig `json:"VpcConfig,omitempty"`
	ExecutionRoleArn       string       `json:"ExecutionRoleArn,omitempty"`
	CreationTime           epoch        `json:"CreationTime"`
	EnableNetworkIsolation bool         `json:"EnableNetworkIsolation"`
}

func (s *Server) describeEndpointConfig(c *call) (any, *apiError) {
	var in struct{ EndpointConfigName string }
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.EndpointConfigName == "" {
		return nil, validationError("1 validation error detected: Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cfg, ok := s.st.configs[strings.ToLower(in.EndpointConfigName)]
	if !ok {
		return nil, validationError("Could not find endpoint configuration \"%s\".", s.st.sageMakerARN("endpoint-config", in.EndpointConfigName))
	}
	out := &describeEndpointConfigOutput{
		EndpointConfigName: cfg.Name,
		EndpointConfigArn:  cfg.arn,
		VpcConfig:          smVPC(cfg.VPCConfig),
		ExecutionRoleArn:   cfg.roleARN,
		CreationTime:       epoch(cfg.created),
	}
	for _, v := range cfg.Variants {
		out.ProductionVariants = append(out.ProductionVariants, smVariant{v.Name, v.Model, v.InitialInstanceCount, v.InstanceType, v.InitialVariantWeight})
	}
	return out, nil
}

type smVariantSummary struct {
	VariantName          string  `json:"VariantName"`
	CurrentInstanceCount int32   `json:"CurrentInstanceCount"`
	DesiredInstanceCount int32   `json:"DesiredInstanceCount"`
	CurrentWeight        float32 `json:"CurrentWeight"`
	DesiredWeight        float32 `json:"DesiredWeight"`
}

type describeEndpointOutput struct {
	EndpointName       string             `json:"EndpointName"`
	EndpointArn        string             `json:"EndpointArn"`
	EndpointConfigName string             `json:"EndpointConfigName"`
	EndpointStatus     string             `json:"EndpointStatus"`
	ProductionVariants []smVariantSummary `json:"ProductionVariants,omitempty"`
	CreationTime       epoch              `json:"CreationTime"`
	LastModifiedTime   epoch              `json:"LastModifiedTime"`
}

func (s *Server) describeEndpoint(c *call) (any, *apiError) {
	var in struct{ EndpointName string }
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.EndpointName == "" {
		return nil, validationError("1 validation error detected: Value null at 'endpointName' failed to satisfy constraint: Member must not be null")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.st.endpoints[strings.ToLower(in.EndpointName)]
	if !ok {
		return nil, validationError("Could not find endpoint \"%s\".", s.st.sageMakerARN("endpoint", in.EndpointName))
	}
	out := &describeEndpointOutput{
		EndpointName: e.Name, EndpointArn: e.arn, EndpointConfigName: e.Config, EndpointStatus: e.Status,
		CreationTime: epoch(e.created), LastModifiedTime: epoch(e.modified),
	}
	if cfg, ok := s.st.configs[strings.ToLower(e.Config)]; ok && e.Status != "Creating" && e.Status != "Failed" {
		for _, v := range cfg.Variants {
			n := v.InitialInstanceCount
			if o, ok := e.Instances[v.Name]; ok {
				n = o
			}
			out.ProductionVariants = append(out.ProductionVariants, smVariantSummary{v.Name, n, n, v.InitialVariantWeight, v.InitialVariantWeight})
		}
	}
	return out, nil
}

// listInput is the common part of SageMaker List* requests.
type listInput struct {
	MaxResults         *int
	NextToken          string
	NameContains       string
	SortBy             string
	SortOrder          string
	CreationTimeBefore *epoch
	CreationTimeAfter  *epoch
	StatusEquals       string
	ResourceArn        string
}

// smPage validates MaxResults and NextToken and returns the start position
// and page size.
func (s *Server) smPage(c *call, in listInput, def, maxAllowed int) (int, int, *apiError) {
	requested := def
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxAllowed {
			return 0, 0, validationError("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *in.MaxResults, maxAllowed)
		}
		requested = *in.MaxResults
	}
	start := 0
	if in.NextToken != "" {
		pos, ok := decodeToken(c.key()+"|"+in.SortBy+"|"+in.SortOrder, in.NextToken)
		if !ok {
			return 0, 0, validationError("Invalid pagination token: %s", in.NextToken)
		}
		start = pos
	}
	return start, s.st.pageLimit(c.key(), requested, requested), nil
}

type modelSummary struct {
	ModelName    string `json:"ModelName"`
	ModelArn     string `json:"ModelArn"`
	CreationTime epoch  `json:"CreationTime"`
}

func (s *Server) listModels(c *call) (any, *apiError) {
	var in listInput
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := checkSort(in.SortBy, in.SortOrder, "Name", "CreationTime"); aerr != nil {
		return nil, aerr
	}
	start, limit, aerr := s.smPage(c, in, 10, 100)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	order := s.st.modelsByTime
	if in.SortBy == "Name" {
		order = s.st.modelsByName
	}
	desc := in.SortOrder != "Ascending"
	name := strings.ToLower(in.NameContains)
	keep := func(m *modelState) bool {
		return (name == "" || strings.Contains(strings.ToLower(m.Name), name)) && inTimeRange(m.created, in)
	}
	page, next := sortedPage(order, desc, start, limit, keep)
	out := struct {
		Models    []modelSummary `json:"Models"`
		NextToken string         `json:"NextToken,omitempty"`
	}{Models: []modelSummary{}}
	for _, m := range page {
		out.Models = append(out.Models, modelSummary{m.Name, m.arn, epoch(m.created)})
	}
	if next >= 0 {
		out.NextToken = encodeToken(c.key()+"|"+in.SortBy+"|"+in.SortOrder, next)
	}
	return out, nil
}

type endpointSummary struct {
	EndpointName     string `json:"EndpointName"`
	EndpointArn      string `json:"EndpointArn"`
	CreationTime     epoch  `json:"CreationTime"`
	LastModifiedTime epoch  `json:"LastModifiedTime"`
	EndpointStatus   string `json:"EndpointStatus"`
}

func (s *Server) listEndpoints(c *call) (any, *apiError) {
	var in listInput
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := checkSort(in.SortBy, in.SortOrder, "Name", "CreationTime", "Status"); aerr != nil {
		return nil, aerr
	}
	start, limit, aerr := s.smPage(c, in, 10, 100)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	order := s.st.endpointsByTime
	if in.SortBy == "Name" {
		order = s.st.endpointsByName
	}
	desc := in.SortOrder != "Ascending"
	name := strings.ToLower(in.NameContains)
	keep := func(e *endpointState) bool {
		return (name == "" || strings.Contains(strings.ToLower(e.Name), name)) &&
			(in.StatusEquals == "" || e.Status == in.StatusEquals) && inTimeRange(e.created, in)
	}
	page, next := sortedPage(order, desc, start, limit, keep)
	if in.SortBy == "Status" {
		sort.SliceStable(page, func(i, j int) bool { return (page[i].Status < page[j].Status) != desc })
	}
	out := struct {
		Endpoints []endpointSummary `json:"Endpoints"`
		NextToken string            `json:"NextToken,omitempty"`
	}{Endpoints: []endpointSummary{}}
	for _, e := range page {
		out.Endpoints = append(out.Endpoints, endpointSummary{e.Name, e.arn, epoch(e.created), epoch(e.modified), e.Status})
	}
	if next >= 0 {
		out.NextToken = encodeToken(c.key()+"|"+in.SortBy+"|"+in.SortOrder, next)
	}
	return out, nil
}

func checkSort(by, order string, keys ...string) *apiError {
	if by != "" && !containsStr(keys, by) {
		return validationError("1 validation error detected: Value '%s' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [%s]", by, strings.Join(keys, ", "))
	}
	if order != "" && order != "Ascending" && order != "Descending" {
		return validationError("1 validation error detected: Value '%s' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]", order)
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func inTimeRange(t time.Time, in listInput) bool {
	if in.CreationTimeBefore != nil && !t.Before(time.Time(*in.CreationTimeBefore)) {
		return false
	}
	if in.CreationTimeAfter != nil && !t.After(time.Time(*in.CreationTimeAfter)) {
		return false
	}
	return true
}

// sortedPage walks order (ascending, or descending when desc) from the
// position start, keeping up to limit items; next is the position to resume
// from, or -1.
func sortedPage[T any](order []T, desc bool, start, limit int, keep func(T) bool) (page []T, next int) {
	at := func(pos int) T {
		if desc {
			return order[len(order)-1-pos]
		}
		return order[pos]
	}
	for pos := start; pos < len(order); pos++ {
		v := at(pos)
		if !keep(v) {
			continue
		}
		if len(page) == limit {
			return page, pos
		}
		page = append(page, v)
	}
	return page, -1
}

type smTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (s *Server) listTags(c *call) (any, *apiError) {
	var in listInput
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.ResourceArn == "" {
		return nil, validationError("1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null")
	}
	start, limit, aerr := s.smPage(c, in, 50, 100)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	tags, ok := s.st.tagsByARN[strings.ToLower(in.ResourceArn)]
	if !ok {
		return nil, validationError("Could not find resource \"%s\".", in.ResourceArn)
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	page, next := sortedPage(keys, false, start, limit, func(string) bool { return true })
	out := struct {
		Tags      []smTag `json:"Tags"`
		NextToken string  `json:"NextToken,omitempty"`
	}{Tags: []smTag{}}
	for _, k := range page {
		out.Tags = append(out.Tags, smTag{k, tags[k]})
	}
	if next >= 0 {
		out.NextToken = encodeToken(c.key()+"||", next)
	}
	return out, nil
}
