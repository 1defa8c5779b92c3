package cloudtrail_test

import (
	"testing"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// UpdateEndpoint, DeleteEndpoint and DeleteModel records: camelCase as in
// the AWS docs' SageMaker samples, PascalCase accepted, hidden or missing
// values read as empty (the handler then skips the event with a reason).
func TestSageMakerLifecycleRecords(t *testing.T) {
	record := func(name, req, resp string) string {
		return `{"eventVersion":"1.09","eventTime":"2026-03-01T10:00:00Z","eventSource":"sagemaker.amazonaws.com","eventName":"` + name +
			`","awsRegion":"us-east-1","requestParameters":` + req + `,"responseElements":` + resp + `,"eventID":"e1","recipientAccountId":"111122223333"}`
	}
	for _, tc := range []struct {
		name, raw string
		check     func(t *testing.T, c cloudtrail.Call)
	}{
		{"update", record("UpdateEndpoint", `{"endpointName":"churn-endpoint","endpointConfigName":"churn-config-v8","retainAllVariantProperties":true}`,
			`{"endpointArn":"arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn-endpoint"}`), func(t *testing.T, c cloudtrail.Call) {
			want := cloudtrail.UpdateEndpoint{EndpointName: "churn-endpoint", EndpointConfigName: "churn-config-v8",
				EndpointARN: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn-endpoint", RetainAllVariantProperties: true}
			if c.Kind != cloudtrail.KindUpdateEndpoint || c.UpdateEndpoint == nil || *c.UpdateEndpoint != want {
				t.Errorf("got %v %+v, want %+v", c.Kind, c.UpdateEndpoint, want)
			}
		}},
		{"update, PascalCase, retain as a string", record("UpdateEndpoint", `{"EndpointName":"e","EndpointConfigName":"c","RetainAllVariantProperties":"true"}`, `null`),
			func(t *testing.T, c cloudtrail.Call) {
				if u := c.UpdateEndpoint; u == nil || u.EndpointName != "e" || u.EndpointConfigName != "c" || !u.RetainAllVariantProperties || u.EndpointARN != "" {
					t.Errorf("got %+v", u)
				}
			}},
		{"update, config hidden", record("UpdateEndpoint", `{"endpointName":"e","endpointConfigName":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, `null`),
			func(t *testing.T, c cloudtrail.Call) {
				if u := c.UpdateEndpoint; u == nil || u.EndpointName != "e" || u.EndpointConfigName != "" {
					t.Errorf("got %+v, want the hidden config empty", u)
				}
			}},
		{"delete endpoint", record("DeleteEndpoint", `{"endpointName":"churn-endpoint"}`, `null`), func(t *testing.T, c cloudtrail.Call) {
			if c.Kind != cloudtrail.KindDeleteEndpoint || c.DeleteEndpoint == nil || c.DeleteEndpoint.EndpointName != "churn-endpoint" {
				t.Errorf("got %v %+v", c.Kind, c.DeleteEndpoint)
			}
		}},
		{"delete model", record("DeleteModel", `{"modelName":"churn-model-v7"}`, `null`), func(t *testing.T, c cloudtrail.Call) {
			if c.Kind != cloudtrail.KindDeleteModel || c.DeleteModel == nil || c.DeleteModel.ModelName != "churn-model-v7" {
				t.Errorf("got %v %+v", c.Kind, c.DeleteModel)
			}
		}},
		{"delete model, parameters omitted", record("DeleteModel", `{"omitted":true}`, `null`), func(t *testing.T, c cloudtrail.Call) {
			if c.DeleteModel == nil || c.DeleteModel.ModelName != "" {
				t.Errorf("got %+v, want an empty name", c.DeleteModel)
			}
		}},
		{"delete model, no parameters", record("DeleteModel", `null`, `null`), func(t *testing.T, c cloudtrail.Call) {
			if c.DeleteModel == nil || c.DeleteModel.ModelName != "" {
				t.Errorf("got %+v, want an empty name", c.DeleteModel)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := cloudtrail.Parse([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
