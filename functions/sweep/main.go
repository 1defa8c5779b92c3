// Command sweep audits every SageMaker model of the account against the
// SageMaker VPC guidelines: vpcguard's scheduled backstop for what
// CloudTrail delivery missed and what existed before vpcguard.
//
// In Lambda it is the bootstrap of a provided.al2023 function invoked by an
// EventBridge schedule; it stops before its deadline and continues from a
// cursor (VPCGUARD_SWEEP_STATE) on the next run. Locally,
//
//	go run ./functions/sweep [-state FILE|s3://bucket/key] [-timeout 10m] [-json] [-results]
//
// is a read-only audit (report mode) of the account the SDK's default
// configuration points at: it prints the digest and a JSON summary.
package main

import (
	"os"

	"github.com/vpcguard/vpcguard/pkg/sweep"
)

func main() {
	os.Exit(sweep.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
