package e2e

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

// StartOrg serves a simulated organization on 127.0.0.1. The Account is
// the central account's server in region (where the functions run: its
// writes, events and SNS messages are the functions' notifications); org
// reaches every other account and Region.
func StartOrg(o *awssim.OrgScenario, central, region string) (*Account, *awssim.Org, error) {
	org, err := awssim.NewOrg(o)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	url := "http://" + ln.Addr().String()
	org.SetURL(url)
	a := &Account{
		Server: org.Server(central, region),
		URL:    url,
		hs:     &http.Server{Handler: org, ReadHeaderTimeout: 10 * time.Second},
	}
	go a.hs.Serve(ln)
	a.EC2 = ec2.NewFromConfig(awssim.TestConfig(a.URL, region))
	return a, org, nil
}

// accessKeys maps each function to the access key of the organization's
// principal for its role, arn:aws:iam::<central>:role/vpcguard-<name>, as
// the function's Lambda role would sign.
func accessKeys(o *awssim.OrgScenario, central string, functions []string) map[string]string {
	keys := map[string]string{}
	for _, fn := range functions {
		for _, p := range o.Principals {
			if p.RoleARN == fmt.Sprintf("arn:aws:iam::%s:role/vpcguard-%s", central, fn) && keys[fn] == "" {
				keys[fn] = p.AccessKeyID
			}
		}
	}
	return keys
}
