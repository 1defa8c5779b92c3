// Command modelguard evaluates the SageMaker events (CreateModel,
// CreateEndpointConfig, CreateEndpoint, UpdateEndpoint and
// UpdateEndpointWeightsAndCapacities) and Application Auto Scaling's
// RegisterScalableTarget of an endpoint variant against the SageMaker VPC
// guidelines, and keeps the placement index on DeleteModel and
// DeleteEndpoint.
//
// In Lambda it is the bootstrap of a provided.al2023 function; locally,
// `modelguard -event FILE` handles one event and prints the result.
package main

import (
	"os"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

func main() {
	os.Exit(app.Main("modelguard",
		cloudtrail.KindCreateModel, cloudtrail.KindCreateEndpointConfig, cloudtrail.KindCreateEndpoint,
		cloudtrail.KindUpdateEndpoint, cloudtrail.KindDeleteModel, cloudtrail.KindDeleteEndpoint,
		cloudtrail.KindUpdateEndpointWeightsAndCapacities,
		cloudtrail.KindRegisterScalableTarget))
}
