package awssim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http/httptest"
	"testing"
	"time"
)

// TestCA is a throwaway certificate authority and one server certificate
// it signed, as a TLS-inspecting proxy or a private endpoint would present:
// clients trust it only through a CA bundle (AWS_CA_BUNDLE).
type TestCA struct {
	// PEM is the CA certificate, the content of a CA bundle file.
	PEM []byte
	// Server is the server certificate and key, for the given hosts.
	Server tls.Certificate
}

// NewTestCA makes a CA valid for one day and a server certificate for
// hosts (IP addresses or DNS names), both ECDSA P-256.
func NewTestCA(hosts ...string) (*TestCA, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "awssim throwaway test CA", Organization: []string{"vpcguard tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create the CA certificate: %w", err)
	}
	ca, err = x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "awssim"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create the server certificate: %w", err)
	}
	return &TestCA{
		PEM:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Server: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key},
	}, nil
}

// StartTLS serves sc over HTTPS on 127.0.0.1 with a certificate from a new
// throwaway CA, valid for 127.0.0.1 and the extra hosts, and closes it when
// the test ends. It returns the server, its https:// URL and the CA.
func StartTLS(t testing.TB, sc *Scenario, hosts ...string) (*Server, string, *TestCA) {
	t.Helper()
	srv, err := NewServer(sc)
	if err != nil {
		t.Fatalf("awssim: %v", err)
	}
	ca, err := NewTestCA(append([]string{"127.0.0.1"}, hosts...)...)
	if err != nil {
		t.Fatalf("awssim: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("awssim: listen on 127.0.0.1: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	hs.Listener = ln
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server}, MinVersion: tls.VersionTLS12}
	hs.StartTLS()
	srv.url = hs.URL
	t.Cleanup(hs.Close)
	return srv, hs.URL, ca
}
