// Command undo takes one of vpcguard's repairs back, verified, from the
// repair ledger (the state table, or VPCGUARD_LEDGER_FILE).
//
// In Lambda it is the bootstrap of a provided.al2023 function that people
// invoke (no trigger), with {"action":"<action instance id>"}, the
// "account" and "region" of a repair made in another account or Region
// than the function's own (organization mode: through the member role)
// and, to delete an endpoint vpcguard created, "confirm":true:
//
//	aws lambda invoke --function-name <UndoFunctionName> --cli-binary-format raw-in-base64-out \
//	    --payload '{"action":"rep-20261126T101500Z-3f9a1c2b","account":"444455556666"}' /dev/stdout
//
// Locally:
//
//	undo -action ID [-account A] [-region R] [-confirm]   take one repair back and print the result
//	undo -list [-account A] [-region R] [-n 50]           the recent ledger, one JSON object per line
package main

import (
	"os"

	"github.com/vpcguard/vpcguard/pkg/undo"
)

func main() {
	os.Exit(undo.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
