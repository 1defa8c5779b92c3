package checks

import (
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// endpointFindings applies per to every S3 gateway endpoint of the VPCs in
// scope (the models' VPCs and the triggering endpoint's), with its parsed
// policy.
func endpointFindings(s *inventory.Snapshot, per func(inventory.VPCGroup, inventory.Endpoint, *policy.Document) finding) []finding {
	groups, fs := scope(s)
	for _, g := range groups {
		if !g.VPC.Endpoints.OK() {
			fs = append(fs, unknown("the VPC endpoints of "+g.ID, g.VPC.Endpoints.Err, g.ID).about(report.ResourceVPC, g.ID))
			continue
		}
		for _, e := range g.VPC.S3GatewayEndpoints(s.Region) {
			doc, err := policy.Parse(endpointPolicy(e))
			if err != nil {
				fs = append(fs, fail(fmt.Sprintf("the policy of S3 endpoint %s cannot be evaluated: %v", e.ID, err),
					modifyPolicyFix(s, e.ID), e.ID).about(report.ResourceVPCEndpoint, e.ID))
				continue
			}
			fs = append(fs, per(g, e, doc).about(report.ResourceVPCEndpoint, e.ID))
		}
	}
	if len(fs) == 0 {
		fs = append(fs, notApplicable("no S3 gateway endpoint is in scope"))
	}
	return fs
}

// endpointPolicy is the endpoint's policy; AWS always returns one, and an
// endpoint created without one has the default full-access policy.
func endpointPolicy(e inventory.Endpoint) string {
	if strings.TrimSpace(e.PolicyDocument) == "" {
		return `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	}
	return e.PolicyDocument
}

func modifyPolicyFix(s *inventory.Snapshot, endpointID string) string {
	return fmt.Sprintf("Write the current policy plus the missing statements to policy.json, then:\n  aws ec2 modify-vpc-endpoint --region %s --vpc-endpoint-id %s --policy-document file://policy.json", s.Region, endpointID)
}

func evalS3EndpointPolicyCustom(s *inventory.Snapshot) Outcome {
	return combine(endpointFindings(s, func(g inventory.VPCGroup, e inventory.Endpoint, doc *policy.Document) finding {
		if policy.IsFullAccess(doc) {
			return fail(fmt.Sprintf("S3 endpoint %s in %s has the default full-access policy: any principal in the VPC reaches any bucket through it", e.ID, g.ID),
				"Replace it with a policy that allows only the buckets your models use (keep the Amazon Linux repository denies):\n"+modifyPolicyFix(s, e.ID), e.ID)
		}
		return pass(fmt.Sprintf("S3 endpoint %s has a custom policy", e.ID), e.ID)
	}))
}

func evalS3EndpointDeniesALRepos(s *inventory.Snapshot) Outcome {
	return combine(endpointFindings(s, func(g inventory.VPCGroup, e inventory.Endpoint, doc *policy.Document) finding {
		var open, patterns []string
		for _, st := range policy.RepoAccess(doc, s.Partition, s.Region) {
			if st.Denied() {
				continue
			}
			open = append(open, fmt.Sprintf("%s (%s)", st.Target.Pattern, st.String()))
			patterns = append(patterns, st.Target.Pattern)
		}
		if len(open) == 0 {
			return pass(fmt.Sprintf("S3 endpoint %s denies s3:GetObject on every Amazon Linux repository bucket", e.ID), e.ID)
		}
		statement := fmt.Sprintf(`{"Sid":"DenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":["%s"]}`, strings.Join(patterns, `","`))
		return fail(fmt.Sprintf("S3 endpoint %s in %s lets containers read Amazon Linux repositories: %s", e.ID, g.ID, strings.Join(open, "; ")),
			"Add this statement to the endpoint policy, keeping every existing one:\n  "+statement+"\n"+modifyPolicyFix(s, e.ID), e.ID)
	}))
}

// evalS3EndpointPolicyAllows passes when every model the endpoint serves
// may read each of its artifacts through it (s3:GetObject on the object,
// or on a representative object under an S3 prefix), and, where no model
// in scope has an S3 artifact, when some S3 request an Allow covers
// escapes every unconditional Deny. A deny-only policy fails either way.
func evalS3EndpointPolicyAllows(s *inventory.Snapshot) Outcome {
	return combine(endpointFindings(s, func(g inventory.VPCGroup, e inventory.Endpoint, doc *policy.Document) finding {
		r := policy.RemainingAllow(doc, s.Partition)
		if !r.Allows && !r.Undecided {
			return fail(fmt.Sprintf("S3 endpoint %s in %s lets no S3 request through (%s): every request through it is denied, model artifacts included", e.ID, g.ID, r.Why),
				"Add an Allow for the buckets your models use:\n"+modifyPolicyFix(s, e.ID), e.ID)
		}
		var blocked, caveats, grant, narrow []string
		resources := []string{e.ID}
		judged := 0
		for _, m := range modelsServedBy(s, g, e) {
			for _, a := range m.Artifacts {
				judged++
				arn := a.ObjectARN(s.Partition)
				ev := policy.Evaluate(doc, policy.Request{Action: "s3:GetObject", Resource: arn})
				what := fmt.Sprintf("model %s cannot read %s", m.Name, a)
				switch ev.Decision {
				case policy.Allowed:
					if ev.Limited {
						caveats = append(caveats, fmt.Sprintf("model %s's %s is allowed only by %s (%s), counted as allowed", m.Name, a.URI, ev.Label, strings.Join(ev.LimitedBy, "; ")))
					}
					for _, u := range ev.Uncounted {
						caveats = append(caveats, fmt.Sprintf("%s would deny model %s's %s but is not counted (%s)", u.Label, m.Name, a.URI, strings.Join(u.Reasons, "; ")))
					}
					continue
				case policy.ExplicitDeny:
					blocked = append(blocked, what+": explicitly denied by "+ev.Label)
					narrow = appendNew(narrow, fmt.Sprintf("narrow %s so that it no longer covers %s", ev.Label, artifactPattern(s.Partition, a)))
				default:
					blocked = append(blocked, what+": no Allow covers it")
					grant = appendNew(grant, artifactPattern(s.Partition, a))
				}
				resources = appendNew(resources, m.Name)
			}
		}
		note := ""
		if len(caveats) > 0 {
			note = "; " + strings.Join(caveats, "; ")
		}
		switch {
		case len(blocked) > 0:
			var fix []string
			if len(grant) > 0 {
				fix = append(fix, fmt.Sprintf(`Add this statement to the endpoint policy, keeping every existing one:
  {"Sid":"AllowModelArtifacts","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["%s"]}`, strings.Join(grant, `","`)))
			}
			if len(narrow) > 0 {
				fix = append(fix, "In the endpoint policy, "+strings.Join(narrow, "; ")+".")
			}
			return fail(fmt.Sprintf("S3 endpoint %s in %s blocks model artifacts, so the endpoints cannot start: %s%s", e.ID, g.ID, strings.Join(blocked, "; "), note),
				strings.Join(fix, "\n")+"\n"+modifyPolicyFix(s, e.ID), resources...)
		case judged > 0:
			return pass(fmt.Sprintf("S3 endpoint %s allows s3:GetObject on all %s of the models it serves%s", e.ID, plural(judged, "artifact", "artifacts"), note), resources...)
		case r.Undecided:
			return unknown("whether the policy of S3 endpoint "+e.ID+" allows anything", fmt.Errorf("%s", r.Why), e.ID)
		}
		return pass(fmt.Sprintf("S3 endpoint %s's policy allows some access (no model in scope has S3 artifacts): %s", e.ID, r), e.ID)
	}))
}

// artifactPattern is the Resource that grants an artifact: its object, or
// everything under its prefix.
func artifactPattern(partition string, a inventory.Artifact) string {
	if a.Prefix {
		return "arn:" + partition + ":s3:::" + a.Bucket + "/" + strings.TrimSuffix(a.Key, inventory.RepresentativeObject) + "*"
	}
	return a.ObjectARN(partition)
}

// modelsServedBy lists the models of g whose S3 traffic goes through e: a
// subnet's route table routes through e, or none of the model's subnets
// routes through any S3 gateway endpoint yet (then any of them may serve
// it once routed). When the routes cannot be read, every model counts.
func modelsServedBy(s *inventory.Snapshot, g inventory.VPCGroup, e inventory.Endpoint) []inventory.Model {
	if !g.VPC.RouteTables.OK() || !s.Subnets.OK() {
		return g.Models
	}
	eps := g.VPC.S3GatewayEndpoints(s.Region)
	var out []inventory.Model
	for _, m := range g.Models {
		via, routed := false, false
		for _, subnet := range m.VPCConfig.SubnetIDs {
			rt, err := inventory.RouteTableFor(g.VPC.RouteTables.Value, subnet)
			if err != nil {
				continue
			}
			via = via || rt.RoutesVia(e)
			routed = routed || routesToS3(rt, eps)
		}
		if via || !routed {
			out = append(out, m)
		}
	}
	return out
}

func evalBucketPolicyVPCRestricted(s *inventory.Snapshot) Outcome {
	return combine(modelFindings(s, inVPC(func(m inventory.Model) finding {
		if len(m.ArtifactBuckets) == 0 {
			return notApplicable("model "+m.Name+" has no S3 model artifacts", m.Name)
		}
		vpc := s.ModelVPC(m)
		var endpointIDs []string
		if v := s.VPCs[vpc]; v != nil && v.Endpoints.OK() {
			for _, e := range v.S3GatewayEndpoints(s.Region) {
				endpointIDs = append(endpointIDs, e.ID)
			}
		}
		var open, openBuckets []string
		for _, b := range m.ArtifactBuckets {
			f, ok := s.Buckets[b]
			switch {
			case !ok:
				return unknown("the policy of bucket "+b, fmt.Errorf("it was not read"), b)
			case !f.OK():
				return unknown("the policy of bucket "+b, f.Err, b)
			case !f.Value.Exists:
				open, openBuckets = append(open, b+" (no bucket policy)"), append(openBuckets, b)
				continue
			}
			doc, err := policy.Parse(f.Value.Document)
			if err != nil {
				open, openBuckets = append(open, fmt.Sprintf("%s (policy cannot be evaluated: %v)", b, err)), append(openBuckets, b)
				continue
			}
			if ok, _ := policy.RestrictsToVPC(doc, vpc, endpointIDs); !ok {
				open, openBuckets = append(open, b), append(openBuckets, b)
			}
		}
		if len(open) == 0 {
			return pass(fmt.Sprintf("the artifact buckets of model %s accept requests only from %s or its endpoints", m.Name, vpc), m.ArtifactBuckets...)
		}
		return fail(fmt.Sprintf("artifact buckets of model %s are not restricted to %s: %s", m.Name, orPlaceholder(vpc, "its VPC"), strings.Join(open, ", ")),
			fmt.Sprintf("Optionally add a bucket policy statement that denies s3:* unless aws:SourceVpce is %s (keep a way in for administrators):\n  aws s3api put-bucket-policy --bucket %s --policy file://bucket-policy.json",
				orPlaceholder(strings.Join(endpointIDs, " or "), "your S3 endpoint"), openBuckets[0]),
			openBuckets...)
	})))
}
