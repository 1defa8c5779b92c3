package awssim

import (
	"encoding/json"
	"strings"
)

// CloudTrail speaks awsJson1_1. The SDK v2 sends X-Amz-Target
// CloudTrail_20131101.<Op>; botocore the full shape id,
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>. Request
// members of DescribeTrails are camelCase (trailNameList,
// includeShadowTrails), those of the trails PascalCase, as in the API.

var cloudTrailOps = map[string]handler{
	"DescribeTrails":    (*Server).describeTrails,
	"GetTrailStatus":    (*Server).getTrailStatus,
	"GetEventSelectors": (*Server).getEventSelectors,
}

type ctTrail struct {
	Name                       string `json:"Name"`
	S3BucketName               string `json:"S3BucketName"`
	IncludeGlobalServiceEvents bool   `json:"IncludeGlobalServiceEvents"`
	IsMultiRegionTrail         bool   `json:"IsMultiRegionTrail"`
	HomeRegion                 string `json:"HomeRegion"`
	TrailARN                   string `json:"TrailARN"`
	LogFileValidationEnabled   bool   `json:"LogFileValidationEnabled"`
	HasCustomEventSelectors    bool   `json:"HasCustomEventSelectors"`
	HasInsightSelectors        bool   `json:"HasInsightSelectors"`
	IsOrganizationTrail        bool   `json:"IsOrganizationTrail"`
}

// visible reports whether the trail is listed in the server's Region.
func (t *trailState) visible(region string, shadows bool) bool {
	return t.HomeRegion == region || (shadows && t.MultiRegion)
}

func (s *Server) describeTrails(c *call) (any, *apiError) {
	var in struct {
		TrailNameList       []string `json:"trailNameList"`
		IncludeShadowTrails *bool    `json:"includeShadowTrails"`
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	shadows := in.IncludeShadowTrails == nil || *in.IncludeShadowTrails
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := struct {
		TrailList []ctTrail `json:"trailList"`
	}{TrailList: []ctTrail{}}
	for _, t := range s.st.health.trails {
		if !t.visible(s.st.region, shadows) {
			continue
		}
		if len(in.TrailNameList) > 0 && !containsString(in.TrailNameList, t.Name) && !containsString(in.TrailNameList, t.arn) {
			continue
		}
		out.TrailList = append(out.TrailList, ctTrail{
			Name: t.Name, S3BucketName: t.S3BucketName, IncludeGlobalServiceEvents: t.MultiRegion,
			IsMultiRegionTrail: t.MultiRegion, HomeRegion: t.HomeRegion, TrailARN: t.arn,
			LogFileValidationEnabled: true, HasCustomEventSelectors: string(t.selectors) != string(defaultSelectors),
			IsOrganizationTrail: t.Organization,
		})
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// findTrail finds a trail by name (a trail of this account homed here) or
// by ARN (any trail listed here), as CloudTrail does.
func (s *Server) findTrail(id string) (*trailState, *apiError) {
	if id == "" {
		return nil, errorf(400, "InvalidTrailNameException", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
	}
	for _, t := range s.st.health.trails {
		if !t.visible(s.st.region, true) {
			continue
		}
		if t.arn == id || (!strings.HasPrefix(id, "arn:") && t.Name == id && t.HomeRegion == s.st.region && t.Account == s.st.account) {
			return t, nil
		}
	}
	return nil, errorf(400, "TrailNotFoundException", "Unknown trail: %s for the user: %s", id, s.st.account)
}

func (s *Server) getTrailStatus(c *call) (any, *apiError) {
	var in struct {
		Name string `json:"Name"`
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, aerr := s.findTrail(in.Name)
	if aerr != nil {
		return nil, aerr
	}
	logging := t.Logging == nil || *t.Logging
	out := map[string]any{"IsLogging": logging}
	if logging {
		out["StartLoggingTime"] = epoch(baseTime)
		out["LatestDeliveryTime"] = epoch(baseTime)
		out["TimeLoggingStarted"] = baseTime.UTC().Format("2006-01-02T15:04:05Z")
	} else {
		out["StartLoggingTime"] = epoch(baseTime)
		out["StopLoggingTime"] = epoch(baseTime)
		out["TimeLoggingStarted"] = baseTime.UTC().Format("2006-01-02T15:04:05Z")
		out["TimeLoggingStopped"] = baseTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	return out, nil
}

func (s *Server) getEventSelectors(c *call) (any, *apiError) {
	var in struct {
		TrailName string `json:"TrailName"`
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, aerr := s.findTrail(in.TrailName)
	if aerr != nil {
		return nil, aerr
	}
	key := "EventSelectors"
	if t.advanced {
		key = "AdvancedEventSelectors"
	}
	return map[string]any{"TrailARN": t.arn, key: json.RawMessage(t.selectors)}, nil
}
