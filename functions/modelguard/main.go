// Command modelguard evaluates the SageMaker events (CreateModel,
// CreateEndpointConfig, CreateEndpoint, and UpdateEndpointWeightsAndCapacities)
// and Application Auto Scaling's RegisterScalableTarget of an endpoint
// variant against the SageMaker VPC guidelines.
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
		cloudtrail.KindUpdateEndpointWeightsAndCapacities,
		cloudtrail.KindRegisterScalableTarget))
}
