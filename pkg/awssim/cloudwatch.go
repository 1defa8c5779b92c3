package awssim

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"time"
)

// CloudWatch speaks Smithy RPC v2 CBOR, as the SDK v2 client sends it
// (rpcv2.NewCBOR(schemas.GraniteServiceVersion20100801)): POST
// /service/GraniteServiceVersion20100801/operation/<Op>, header
// Smithy-Protocol: rpc-v2-cbor, a CBOR map body, timestamps as tag 1. It
// also speaks awsJson1_0 (X-Amz-Target GraniteServiceVersion20100801.<Op>,
// timestamps as epoch seconds), which botocore 1.43 and the AWS CLI v1
// choose. Its SigV4 signing name is monitoring; awssim calls the service
// cloudwatch (fault keys cloudwatch:<Op>, the IAM action prefix).

// cloudWatchService is the Smithy service shape of CloudWatch.
const cloudWatchService = "GraniteServiceVersion20100801"

var cloudWatchOps = map[string]handler{
	"GetMetricStatistics": (*Server).getMetricStatistics,
}

// maxDatapoints is how many datapoints one GetMetricStatistics may return.
const maxDatapoints = 1440

var cwStatistics = map[string]bool{"SampleCount": true, "Average": true, "Sum": true, "Minimum": true, "Maximum": true}

func cwInvalid(code, format string, args ...any) *apiError {
	e := errorf(400, code, format, args...)
	e.queryError = code + ";Sender"
	return e
}

func (s *Server) getMetricStatistics(c *call) (any, *apiError) {
	in, aerr := decodeMembers(c)
	if aerr != nil {
		return nil, aerr
	}
	namespace, _ := in["Namespace"].(string)
	name, _ := in["MetricName"].(string)
	start, okStart := timeMember(in["StartTime"])
	end, okEnd := timeMember(in["EndTime"])
	period, okPeriod := intMember(in["Period"])
	var stats []string
	if list, ok := in["Statistics"].([]any); ok {
		for _, v := range list {
			st, _ := v.(string)
			if !cwStatistics[st] {
				return nil, cwInvalid("InvalidParameterValue", "The parameter Statistics.member.1 must be one of SampleCount, Average, Sum, Minimum, Maximum.")
			}
			stats = append(stats, st)
		}
	}
	dims := map[string]string{}
	if list, ok := in["Dimensions"].([]any); ok {
		for _, v := range list {
			m, _ := v.(map[string]any)
			k, _ := m["Name"].(string)
			val, _ := m["Value"].(string)
			if k == "" {
				return nil, cwInvalid("InvalidParameterValue", "A dimension has no name.")
			}
			dims[k] = val
		}
	}
	switch {
	case namespace == "":
		return nil, cwInvalid("MissingParameter", "The parameter Namespace is required.")
	case name == "":
		return nil, cwInvalid("MissingParameter", "The parameter MetricName is required.")
	case !okStart:
		return nil, cwInvalid("MissingParameter", "The parameter StartTime is required.")
	case !okEnd:
		return nil, cwInvalid("MissingParameter", "The parameter EndTime is required.")
	case !okPeriod:
		return nil, cwInvalid("MissingParameter", "The parameter Period is required.")
	case len(stats) == 0:
		return nil, cwInvalid("MissingParameter", "The parameter Statistics or ExtendedStatistics is required.")
	case period < 1 || (period >= 60 && period%60 != 0):
		return nil, cwInvalid("InvalidParameterValue", "The parameter Period must be 1, 5, 10, 30, or a multiple of 60.")
	case !end.After(start):
		return nil, cwInvalid("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
	}
	step := time.Duration(period) * time.Second
	if n := int64(math.Ceil(float64(end.Sub(start)) / float64(step))); n > maxDatapoints {
		return nil, cwInvalid("InvalidParameterCombination", "You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, maxDatapoints)
	}

	type agg struct {
		n             int
		sum, min, max float64
	}
	buckets := map[int64]*agg{}
	unit := ""
	now := time.Now()
	s.mu.RLock()
	for _, m := range s.st.health.metrics {
		if m.Namespace != namespace || m.Name != name || !sameDimensions(m.Dimensions, dims) {
			continue
		}
		unit = m.Unit
		for _, p := range m.Datapoints {
			t := p.at(now)
			if t.Before(start) || !t.Before(end) {
				continue
			}
			k := int64(t.Sub(start) / step)
			a := buckets[k]
			if a == nil {
				a = &agg{min: p.Value, max: p.Value}
				buckets[k] = a
			}
			a.n++
			a.sum += p.Value
			a.min, a.max = math.Min(a.min, p.Value), math.Max(a.max, p.Value)
		}
	}
	s.mu.RUnlock()

	keys := make([]int64, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	points := []any{}
	for _, k := range keys {
		a := buckets[k]
		dp := map[string]any{"Timestamp": c.timestamp(start.Add(time.Duration(k) * step)), "Unit": unit}
		for _, st := range stats {
			switch st {
			case "SampleCount":
				dp[st] = float64(a.n)
			case "Sum":
				dp[st] = a.sum
			case "Average":
				dp[st] = a.sum / float64(a.n)
			case "Minimum":
				dp[st] = a.min
			case "Maximum":
				dp[st] = a.max
			}
		}
		points = append(points, dp)
	}
	return map[string]any{"Label": name, "Datapoints": points}, nil
}

func sameDimensions(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// decodeMembers decodes a CBOR or JSON map request body (empty: no
// member); JSON numbers stay json.Number.
func decodeMembers(c *call) (map[string]any, *apiError) {
	if len(c.body) == 0 {
		return map[string]any{}, nil
	}
	if c.proto == protoJSON {
		m := map[string]any{}
		dec := json.NewDecoder(bytes.NewReader(c.body))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, errorf(400, "SerializationException", "Could not parse the request body: %v", err)
		}
		return m, nil
	}
	v, err := cborDecode(c.body)
	if err != nil {
		return nil, errorf(400, "SerializationException", "Could not parse the CBOR request body: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(400, "SerializationException", "The request body is CBOR %T, want a map", v)
	}
	return m, nil
}

// timeMember reads a timestamp member: CBOR tag 1, or JSON epoch seconds.
func timeMember(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	return time.Time{}, false
}

// intMember reads an integer member of a CBOR or JSON body.
func intMember(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// timestamp is a timestamp in c's protocol: CBOR tag 1, JSON epoch seconds.
func (c *call) timestamp(t time.Time) any {
	if c.proto == protoJSON {
		return epoch(t)
	}
	return t
}
