// Package e2e runs vpcguard end to end on this machine: the real function
// binaries (the bootstrap files Lambda runs) under the AWS Lambda Runtime
// Interface Emulator, invoked through the Lambda runtime API, against the
// simulated account of pkg/awssim and an SNS topic served by goaws, both in
// this process on 127.0.0.1.
//
// It is test and demo infrastructure: `make demo` (cmd/demo) prints what
// vpcguard finds in the demo account, `make e2e` (the tests of this package,
// behind the build tag e2e) asserts it.
//
// The pieces:
//   - Build compiles the bootstraps once into a directory and finds or
//     installs aws-lambda-rie (pinned to RIEVersion).
//   - StartAccount serves an awssim scenario on a loopback listener.
//   - StartSNS runs goaws's router in-process with the topic
//     vpcguard-findings and a subscribed queue, and reads the queue back.
//   - StartFunction runs one bootstrap under the emulator, bound to
//     loopback, and Invoke sends it one event at a time, keeping the
//     emulator's INIT REPORT and REPORT figures.
//   - LoadEvents, Enact and Runner replay CloudTrail events in eventTime
//     order, enacting the EC2 calls the events record before each
//     invocation and telling vpcguard's own writes from the enactment's.
package e2e
