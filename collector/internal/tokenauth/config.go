package tokenauth

import (
	"errors"
	"time"
)

// Config of the ccstreamauth extension. Validation that needs the extension to be in use (an issuer or a
// service-account source) happens when it is created: config.yaml always declares it, and lists it only when
// --auth oidc is chosen.
type Config struct {
	// Issuer is the exact `iss` of accepted tokens; empty disables OIDC tokens (service accounts only).
	Issuer string `mapstructure:"issuer"`
	// Audience must be one of the token's `aud` values.
	Audience string `mapstructure:"audience"`
	// JWKSURL is where the signing keys are; empty means the issuer's discovery document's jwks_uri.
	JWKSURL string `mapstructure:"jwks_url"`
	// IdentityClaim names the claim that identifies a person (default "email").
	IdentityClaim string `mapstructure:"identity_claim"`
	// GroupsClaim names the claim with the caller's groups (default "groups"): a list of strings or one string.
	GroupsClaim string `mapstructure:"groups_claim"`
	// UserIDClaim names the claim copied to user.id in plain mode (default "sub").
	UserIDClaim string `mapstructure:"user_id_claim"`
	// SigningAlgorithms accepted (default RS256, RS384, RS512, PS256, ES256, ES384).
	SigningAlgorithms []string `mapstructure:"signing_algorithms"`
	// KeyRefreshMinInterval bounds JWKS fetches caused by tokens with an unknown key id (default 30s).
	KeyRefreshMinInterval time.Duration `mapstructure:"key_refresh_min_interval"`
	// ServiceAccounts is a file path or "ssm:/name" with the SHA-256 hashes of service-account tokens.
	ServiceAccounts string `mapstructure:"service_accounts"`
	// ReloadInterval of ServiceAccounts (default 5s: a revocation takes effect within it).
	ReloadInterval time.Duration `mapstructure:"reload_interval"`
	// AWSEndpoint overrides the AWS endpoint for "ssm:" sources (an emulator).
	AWSEndpoint string `mapstructure:"aws_endpoint"`
}

func defaultConfig() *Config {
	return &Config{
		IdentityClaim:         "email",
		GroupsClaim:           "groups",
		UserIDClaim:           "sub",
		SigningAlgorithms:     []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"},
		KeyRefreshMinInterval: 30 * time.Second,
		ReloadInterval:        5 * time.Second,
	}
}

// Validate checks what does not depend on the extension being used.
func (c *Config) Validate() error {
	if c.Issuer != "" && c.Audience == "" {
		return errors.New("ccstreamauth: an issuer needs an audience")
	}
	if c.IdentityClaim == "" || c.GroupsClaim == "" || c.UserIDClaim == "" {
		return errors.New("ccstreamauth: identity_claim, groups_claim and user_id_claim must not be empty")
	}
	if c.ReloadInterval <= 0 || c.KeyRefreshMinInterval <= 0 {
		return errors.New("ccstreamauth: reload_interval and key_refresh_min_interval must be positive")
	}
	return nil
}

func (c *Config) inUse() error {
	if c.Issuer == "" && c.ServiceAccounts == "" {
		return errors.New("ccstreamauth: neither an issuer (CCSTREAM_OIDC_ISSUER) nor service accounts are configured")
	}
	return nil
}
