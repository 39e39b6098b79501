// Package selfsigned gives a collector task a TLS certificate of its own when the environment asks for one, so the
// load balancer's connection to the task is encrypted without a certificate to distribute: the ALB does not
// validate target certificates, and the client-facing certificate stays the listener's (ACM).
//
// CCSTREAM_RECEIVER_TLS holds the `tls` block config.yaml gives the OTLP receivers and the health check: `null`
// (plain HTTP, the local run), a block of the collector's own (`{cert_file: ..., key_file: ...}`), or the word
// `self-signed`, which FromEnv replaces, before the configuration is read, by a block carrying a certificate and
// key generated in memory (ECDSA P-256). The key is never written anywhere.
package selfsigned

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"time"
)

// EnvName is the variable config.yaml reads for the receivers' and the health check's tls block.
const EnvName = "CCSTREAM_RECEIVER_TLS"

// Ask is the value of EnvName that asks for a certificate generated at start.
const Ask = "self-signed"

// Validity of a generated certificate. The ALB checks neither expiry nor chain; a long validity only keeps
// clients that do check expiry (a gRPC client told to skip verification of the name) working for a task's life.
const Validity = 5 * 365 * 24 * time.Hour

// Certificate is a generated certificate and its key, PEM-encoded.
type Certificate struct {
	CertPEM     []byte
	KeyPEM      []byte
	Fingerprint [sha256.Size]byte // SHA-256 of the DER certificate, as browsers and openssl print it
	NotAfter    time.Time
}

// Generate makes a self-signed server certificate for `hosts` (DNS names or IP addresses) valid from a minute
// before `now` for Validity.
func Generate(now time.Time, hosts []string) (Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Certificate{}, fmt.Errorf("self-signed TLS: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return Certificate{}, fmt.Errorf("self-signed TLS: serial: %w", err)
	}
	template := x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "otelcol-ccstream", Organization: []string{"ccstream"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, host := range hosts {
		if ip := net.ParseIP(host); ip != nil {
			template.IPAddresses = append(template.IPAddresses, ip)
		} else if host != "" {
			template.DNSNames = append(template.DNSNames, host)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		return Certificate{}, fmt.Errorf("self-signed TLS: certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Certificate{}, fmt.Errorf("self-signed TLS: key encoding: %w", err)
	}
	return Certificate{
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Fingerprint: sha256.Sum256(der),
		NotAfter:    template.NotAfter,
	}, nil
}

// Block is the `tls` configuration that serves `c`: JSON, which the collector's configuration reads as YAML.
func (c Certificate) Block() (string, error) {
	block, err := json.Marshal(map[string]string{
		"cert_pem":    string(c.CertPEM),
		"key_pem":     string(c.KeyPEM),
		"min_version": "1.2",
	})
	return string(block), err
}

// FromEnv replaces EnvName=self-signed by the tls block of a certificate generated now for localhost, the
// loopback addresses and the host's name, and says so on `log` (fingerprint and expiry, never the key). Any
// other value is left as it is.
func FromEnv(log io.Writer) error {
	if os.Getenv(EnvName) != Ask {
		return nil
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	cert, err := Generate(time.Now(), hosts)
	if err != nil {
		return err
	}
	block, err := cert.Block()
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "TLS: serving a self-signed certificate generated at start (ECDSA P-256, SHA-256 %x, valid until %s)\n",
		cert.Fingerprint, cert.NotAfter.UTC().Format(time.RFC3339))
	return os.Setenv(EnvName, block)
}
