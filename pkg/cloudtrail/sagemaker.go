package cloudtrail

// SageMaker bodies. Parameters are camelCase JSON; keys are matched
// case-insensitively because no real record with a vpcConfig was found.

// VPCConfig is a model's or endpoint config's VpcConfig.
type VPCConfig struct {
	Subnets          []string
	SecurityGroupIDs []string
}

// Container is one model container: primaryContainer or an element of
// containers[].
type Container struct {
	Image          string
	ModelDataURL   string // modelDataUrl
	ModelDataS3URI string // modelDataSource.s3DataSource.s3Uri (uncompressed model data)
}

// CreateModel is sagemaker CreateModel.
type CreateModel struct {
	ModelName        string
	ModelARN         string // responseElements.modelArn
	ExecutionRoleARN string
	// VPCConfig is nil when the request had none, or CloudTrail redacted it.
	VPCConfig  *VPCConfig
	Containers []Container // primaryContainer first, then containers[]
}

// ProductionVariant is one element of productionVariants.
type ProductionVariant struct {
	VariantName          string
	ModelName            string
	InstanceType         string
	InitialInstanceCount int  // 0 when absent (serverless) or unreadable
	Serverless           bool // serverlessConfig is set
}

// CreateEndpointConfig is sagemaker CreateEndpointConfig.
type CreateEndpointConfig struct {
	EndpointConfigName string
	EndpointConfigARN  string // responseElements.endpointConfigArn
	ProductionVariants []ProductionVariant
	ExecutionRoleARN   string     // set only for inference-component configs
	VPCConfig          *VPCConfig // idem; nil when absent
}

// CreateEndpoint is sagemaker CreateEndpoint.
type CreateEndpoint struct {
	EndpointName       string
	EndpointConfigName string
	EndpointARN        string // responseElements.endpointArn
}

func parseCreateModel(req, resp any) *CreateModel {
	p := object(req)
	m := &CreateModel{
		ModelName:        str(field(p, "modelName")),
		ModelARN:         str(field(object(resp), "modelArn")),
		ExecutionRoleARN: str(field(p, "executionRoleArn")),
		VPCConfig:        parseVPCConfig(field(p, "vpcConfig")),
	}
	for _, c := range append(items(field(p, "primaryContainer")), items(field(p, "containers"))...) {
		ct := Container{
			Image:          str(field(c, "image")),
			ModelDataURL:   str(field(c, "modelDataUrl")),
			ModelDataS3URI: str(field(object(field(object(field(c, "modelDataSource")), "s3DataSource")), "s3Uri")),
		}
		if ct != (Container{}) {
			m.Containers = append(m.Containers, ct)
		}
	}
	return m
}

func parseVPCConfig(v any) *VPCConfig {
	m := object(v)
	c := VPCConfig{
		Subnets:          strs(field(m, "subnets")),
		SecurityGroupIDs: strs(field(m, "securityGroupIds")),
	}
	if len(c.Subnets) == 0 && len(c.SecurityGroupIDs) == 0 {
		return nil
	}
	return &c
}

func parseCreateEndpointConfig(req, resp any) *CreateEndpointConfig {
	p := object(req)
	ec := &CreateEndpointConfig{
		EndpointConfigName: str(field(p, "endpointConfigName")),
		EndpointConfigARN:  str(field(object(resp), "endpointConfigArn")),
		ExecutionRoleARN:   str(field(p, "executionRoleArn")),
		VPCConfig:          parseVPCConfig(field(p, "vpcConfig")),
	}
	for _, v := range items(field(p, "productionVariants")) {
		ec.ProductionVariants = append(ec.ProductionVariants, ProductionVariant{
			VariantName:          str(field(v, "variantName")),
			ModelName:            str(field(v, "modelName")),
			InstanceType:         str(field(v, "instanceType")),
			InitialInstanceCount: integer(field(v, "initialInstanceCount")),
			Serverless:           object(field(v, "serverlessConfig")) != nil,
		})
	}
	return ec
}

func parseCreateEndpoint(req, resp any) *CreateEndpoint {
	p := object(req)
	return &CreateEndpoint{
		EndpointName:       str(field(p, "endpointName")),
		EndpointConfigName: str(field(p, "endpointConfigName")),
		EndpointARN:        str(field(object(resp), "endpointArn")),
	}
}
