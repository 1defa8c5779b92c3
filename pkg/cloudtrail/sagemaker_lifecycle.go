package cloudtrail

// The SageMaker calls that change which models serve where: UpdateEndpoint
// (an endpoint moves to another config), DeleteEndpoint and DeleteModel.
// Their parameters are camelCase like CreateEndpoint's (the AWS docs'
// sample); no published record of them was found, so keys are matched
// case-insensitively like the other SageMaker bodies. DeleteModel and
// DeleteEndpoint log no responseElements (null).

// DeleteModel is sagemaker DeleteModel.
type DeleteModel struct {
	ModelName string
}

// UpdateEndpoint is sagemaker UpdateEndpoint: the endpoint now runs (is
// moving to) EndpointConfigName.
type UpdateEndpoint struct {
	EndpointName       string
	EndpointConfigName string
	EndpointARN        string // responseElements.endpointArn
	// RetainAllVariantProperties keeps the variants' current weights and
	// instance counts instead of the new config's.
	RetainAllVariantProperties bool
}

// DeleteEndpoint is sagemaker DeleteEndpoint.
type DeleteEndpoint struct {
	EndpointName string
}

func parseDeleteModel(req any) *DeleteModel {
	return &DeleteModel{ModelName: str(field(object(req), "modelName"))}
}

func parseUpdateEndpoint(req, resp any) *UpdateEndpoint {
	p := object(req)
	return &UpdateEndpoint{
		EndpointName:               str(field(p, "endpointName")),
		EndpointConfigName:         str(field(p, "endpointConfigName")),
		EndpointARN:                str(field(object(resp), "endpointArn")),
		RetainAllVariantProperties: boolean(field(p, "retainAllVariantProperties")),
	}
}

func parseDeleteEndpoint(req any) *DeleteEndpoint {
	return &DeleteEndpoint{EndpointName: str(field(object(req), "endpointName"))}
}
