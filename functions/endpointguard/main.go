// Command endpointguard evaluates EC2 CreateVpcEndpoint, ModifyVpcEndpoint
// and DeleteVpcEndpoints events: the endpoint's own policy, and every model
// in its VPC that depends on it.
//
// In Lambda it is the bootstrap of a provided.al2023 function; locally,
// `endpointguard -event FILE` handles one event and prints the result.
package main

import (
	"os"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

func main() {
	os.Exit(app.Main("endpointguard",
		cloudtrail.KindCreateVpcEndpoint, cloudtrail.KindModifyVpcEndpoint, cloudtrail.KindDeleteVpcEndpoints))
}
