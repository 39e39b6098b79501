package selfsigned

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"
)

func TestGenerateMakesAServerCertificateForTheHosts(t *testing.T) {
	now := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	cert, err := Generate(now, []string{"localhost", "127.0.0.1", "ip-10-0-1-5.ec2.internal"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(cert.CertPEM, cert.KeyPEM); err != nil {
		t.Fatalf("certificate and key do not pair: %v", err)
	}
	block, _ := pem.Decode(cert.CertPEM)
	parsed, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(block.Bytes) != cert.Fingerprint {
		t.Error("fingerprint is not the SHA-256 of the DER certificate")
	}
	for _, host := range []string{"localhost", "127.0.0.1", "ip-10-0-1-5.ec2.internal"} {
		if err := parsed.VerifyHostname(host); err != nil {
			t.Errorf("not valid for %s: %v", host, err)
		}
	}
	if parsed.VerifyHostname("example.com") == nil {
		t.Error("valid for a host it was not made for")
	}
	if len(parsed.ExtKeyUsage) != 1 || parsed.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("extended key usage %v, want server auth only", parsed.ExtKeyUsage)
	}
	if !parsed.NotBefore.Before(now) || !parsed.NotAfter.Equal(now.Add(Validity)) {
		t.Errorf("validity %s .. %s", parsed.NotBefore, parsed.NotAfter)
	}
	// Self-signed: it verifies against itself as the only root.
	roots := x509.NewCertPool()
	roots.AddCert(parsed)
	if _, err := parsed.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost", CurrentTime: now}); err != nil {
		t.Errorf("does not verify against itself: %v", err)
	}
	other, _ := Generate(now, []string{"localhost"})
	if bytes.Equal(other.KeyPEM, cert.KeyPEM) || other.Fingerprint == cert.Fingerprint {
		t.Error("two generations gave the same key or certificate")
	}
}

func TestFromEnvReplacesTheAskWithABlock(t *testing.T) {
	t.Setenv(EnvName, Ask)
	var log bytes.Buffer
	if err := FromEnv(&log); err != nil {
		t.Fatal(err)
	}
	var block map[string]string
	if err := json.Unmarshal([]byte(getenv(t)), &block); err != nil {
		t.Fatalf("not a JSON/YAML block: %v", err)
	}
	if _, err := tls.X509KeyPair([]byte(block["cert_pem"]), []byte(block["key_pem"])); err != nil {
		t.Fatalf("the block's certificate and key do not pair: %v", err)
	}
	if block["min_version"] != "1.2" {
		t.Errorf("min_version %q", block["min_version"])
	}
	if !strings.Contains(log.String(), "self-signed certificate") || strings.Contains(log.String(), "PRIVATE") {
		t.Errorf("log line %q", log.String())
	}
}

func TestFromEnvLeavesOtherValues(t *testing.T) {
	for _, value := range []string{"", "null", "{cert_file: /c.pem, key_file: /k.pem}"} {
		t.Setenv(EnvName, value)
		var log bytes.Buffer
		if err := FromEnv(&log); err != nil {
			t.Fatal(err)
		}
		if got := getenv(t); got != value || log.Len() != 0 {
			t.Errorf("%q became %q (log %q)", value, got, log.String())
		}
	}
}

func getenv(t *testing.T) string {
	t.Helper()
	return os.Getenv(EnvName)
}
