package tokenauth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// ServiceAccountPrefix starts every service-account token (`ccstream client-config --service-account` mints them),
// so the authenticator knows which check applies without trying both.
const ServiceAccountPrefix = "ccsa_"

var (
	accountNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	sha256Pattern      = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

type serviceAccount struct {
	Name   string   `yaml:"name"`
	SHA256 string   `yaml:"sha256"`
	Groups []string `yaml:"groups"`
}

// accounts maps the hex SHA-256 of a token to its account.
type accounts map[string]serviceAccount

// parseAccounts reads `service_accounts: [{name, sha256, groups}]` (YAML or JSON). Empty input is no account.
func parseAccounts(data []byte) (accounts, error) {
	var doc struct {
		ServiceAccounts []serviceAccount `yaml:"service_accounts"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("service accounts: %w", err)
	}
	out := accounts{}
	for i, a := range doc.ServiceAccounts {
		a.SHA256 = strings.ToLower(a.SHA256)
		if !accountNamePattern.MatchString(a.Name) {
			return nil, fmt.Errorf("service accounts: entry %d: name %q must match %s", i, a.Name, accountNamePattern)
		}
		if !sha256Pattern.MatchString(a.SHA256) {
			return nil, fmt.Errorf("service accounts: %s: sha256 must be 64 hex digits", a.Name)
		}
		if _, dup := out[a.SHA256]; dup {
			return nil, fmt.Errorf("service accounts: %s: the same token hash appears twice", a.Name)
		}
		a.Groups = append([]string(nil), a.Groups...)
		sort.Strings(a.Groups)
		out[a.SHA256] = a
	}
	return out, nil
}

// accountStore holds the current accounts; the reloader swaps the whole map.
type accountStore struct{ current atomic.Pointer[accounts] }

func (s *accountStore) set(a accounts) { s.current.Store(&a) }

func (s *accountStore) lookup(token string) (serviceAccount, bool) {
	ptr := s.current.Load()
	if ptr == nil {
		return serviceAccount{}, false
	}
	sum := sha256.Sum256([]byte(token))
	a, ok := (*ptr)[hex.EncodeToString(sum[:])]
	return a, ok
}
