package identityprocessor

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
)

// Where identity comes from.
const (
	// SourceToken: from the authenticator's verified caller; every client-supplied identity and organisation
	// attribute is dropped. The only mode for a deployed collector.
	SourceToken = "token"
	// SourceClient: the client's own attributes are kept (local runs with --auth none, and a collector behind a
	// trusted gateway with --auth bearer); organisation defaults fill what is missing.
	SourceClient = "client"
)

// Identity modes.
const (
	ModePlain        = "plain"
	ModePseudonymous = "pseudonymous"
)

// Config of the ccstream_identity processor.
type Config struct {
	Source       string `mapstructure:"source"`
	IdentityMode string `mapstructure:"identity_mode"`
	// Keys is the pseudonym keyring JSON (CCSTREAM_IDENTITY_KEYS); required when pseudonymous.
	Keys configopaque.String `mapstructure:"keys"`
	// OrgMapping is a file path or "ssm:/name" with the IdP-group → organisation mapping; empty = defaults only.
	OrgMapping     string        `mapstructure:"org_mapping"`
	ReloadInterval time.Duration `mapstructure:"reload_interval"`
	AWSEndpoint    string        `mapstructure:"aws_endpoint"`
	// Defaults are the organisation attributes of a caller no mapping entry covers (the mapping's own
	// `defaults:` win over these).
	Defaults map[string]string `mapstructure:"defaults"`
	// MaxGroupsLength caps the user.groups attribute (comma-joined, sorted); longer lists are cut at a comma.
	MaxGroupsLength int `mapstructure:"max_groups_length"`
}

func defaultConfig() *Config {
	return &Config{
		Source:          SourceToken,
		IdentityMode:    ModePlain,
		ReloadInterval:  30 * time.Second,
		MaxGroupsLength: 1024,
	}
}

// Validate checks the settings (the keyring is parsed here so a bad secret stops the collector at start).
func (c *Config) Validate() error {
	if c.Source != SourceToken && c.Source != SourceClient {
		return fmt.Errorf("ccstream_identity: source %q: choose token or client", c.Source)
	}
	if c.IdentityMode != ModePlain && c.IdentityMode != ModePseudonymous {
		return fmt.Errorf("ccstream_identity: identity_mode %q: choose plain or pseudonymous", c.IdentityMode)
	}
	if c.IdentityMode == ModePseudonymous && c.Keys == "" {
		return errors.New("ccstream_identity: identity_mode pseudonymous needs keys (CCSTREAM_IDENTITY_KEYS)")
	}
	for key := range c.Defaults {
		if !orgKeys[key] {
			return fmt.Errorf("ccstream_identity: defaults: %q is not an organisation attribute", key)
		}
	}
	if c.ReloadInterval <= 0 || c.MaxGroupsLength <= 0 {
		return errors.New("ccstream_identity: reload_interval and max_groups_length must be positive")
	}
	return nil
}
