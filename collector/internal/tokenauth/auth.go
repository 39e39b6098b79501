// Package tokenauth is the ccstreamauth extension: the OTLP receivers' server authenticator. It accepts an OIDC
// access token (JWT: signature against the issuer's JWKS, issuer, audience, expiry) or a service-account token
// (its SHA-256 listed in a reloaded file or SSM parameter), and puts the verified caller into the request context
// (internal/identity) for the identity processor. Anything else is refused with 401 and counted.
package tokenauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/ccstream/otelcol-ccstream/internal/identity"
	"github.com/ccstream/otelcol-ccstream/internal/source"
)

// Reasons a request is refused (the `reason` attribute of the ccstream_auth_requests counter).
const (
	reasonMissing   = "missing_token"
	reasonMalformed = "malformed"
	reasonExpired   = "expired"
	reasonIssuer    = "wrong_issuer"
	reasonAudience  = "wrong_audience"
	reasonSignature = "bad_signature"
	reasonKey       = "unknown_key"
	reasonIdentity  = "no_identity_claim"
	reasonRevoked   = "unknown_service_account"
	reasonKeysDown  = "keys_unavailable"
	reasonOther     = "invalid"
)

type authenticator struct {
	cfg      *Config
	logger   *zap.Logger
	verifier *oidc.IDTokenVerifier
	accounts accountStore
	requests metric.Int64Counter
	cancel   context.CancelFunc
}

func newAuthenticator(cfg *Config, set component.TelemetrySettings) (*authenticator, error) {
	if err := cfg.inUse(); err != nil {
		return nil, err
	}
	counter, err := set.MeterProvider.Meter("github.com/ccstream/otelcol-ccstream/tokenauth").Int64Counter(
		"ccstream_auth_requests",
		metric.WithDescription("OTLP requests by authentication result (accepted/refused) and refusal reason"),
	)
	if err != nil {
		return nil, err
	}
	return &authenticator{cfg: cfg, logger: set.Logger, requests: counter}, nil
}

// Start discovers the JWKS (when no jwks_url is given) and loads the service accounts; both failures stop the
// collector, because running with an authenticator that refuses everything would drop telemetry silently.
func (a *authenticator) Start(ctx context.Context, _ component.Host) error {
	runCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	if a.cfg.Issuer != "" {
		jwksURL := a.cfg.JWKSURL
		if jwksURL == "" {
			discovered, err := discoverJWKS(ctx, a.cfg.Issuer)
			if err != nil {
				return err
			}
			jwksURL = discovered
		}
		keys := newKeySet(jwksURL, a.cfg.SigningAlgorithms, a.cfg.KeyRefreshMinInterval)
		a.verifier = oidc.NewVerifier(a.cfg.Issuer, keys, &oidc.Config{
			ClientID:             a.cfg.Audience,
			SupportedSigningAlgs: a.cfg.SigningAlgorithms,
		})
	}
	if a.cfg.ServiceAccounts != "" {
		fetch, err := source.New(a.cfg.ServiceAccounts, a.cfg.AWSEndpoint)
		if err != nil {
			return err
		}
		if err := source.Watch(runCtx, fetch, parseAccounts, a.accounts.set, a.cfg.ReloadInterval, a.logger, "service accounts"); err != nil {
			return err
		}
	}
	return nil
}

// Shutdown stops the reloader.
func (a *authenticator) Shutdown(context.Context) error {
	if a.cancel != nil {
		a.cancel()
	}
	return nil
}

// Authenticate implements extensionauth.Server.
func (a *authenticator) Authenticate(ctx context.Context, headers map[string][]string) (context.Context, error) {
	caller, reason, err := a.verify(ctx, bearer(headers))
	if err != nil {
		a.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("result", "refused"), attribute.String("reason", reason)))
		return ctx, err
	}
	a.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("result", "accepted"), attribute.String("kind", caller.Kind)))
	info := client.FromContext(ctx)
	info.Auth = identity.AuthData{Caller: caller}
	return client.NewContext(ctx, info), nil
}

func (a *authenticator) verify(ctx context.Context, token string) (identity.Caller, string, error) {
	if token == "" {
		return identity.Caller{}, reasonMissing, errors.New("missing bearer token (Authorization: Bearer <token>)")
	}
	if strings.HasPrefix(token, ServiceAccountPrefix) {
		account, ok := a.accounts.lookup(token)
		if !ok {
			return identity.Caller{}, reasonRevoked, errors.New("unknown or revoked service-account token")
		}
		name := "service:" + account.Name
		return identity.Caller{Identity: name, UserID: name, Groups: account.Groups, Kind: identity.KindService}, "", nil
	}
	if a.verifier == nil {
		return identity.Caller{}, reasonOther, errors.New("only service-account tokens are accepted here")
	}
	idToken, err := a.verifier.Verify(ctx, token)
	if err != nil {
		reason := classify(err)
		return identity.Caller{}, reason, fmt.Errorf("invalid token (%s): %w", reason, err)
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		return identity.Caller{}, reasonMalformed, fmt.Errorf("invalid token claims: %w", err)
	}
	who, _ := claims[a.cfg.IdentityClaim].(string)
	who = identity.Normalise(who)
	if who == "" || strings.HasPrefix(who, "service:") {
		return identity.Caller{}, reasonIdentity, fmt.Errorf("the token has no usable %q claim", a.cfg.IdentityClaim)
	}
	userID, _ := claims[a.cfg.UserIDClaim].(string)
	if userID == "" {
		userID = who
	}
	return identity.Caller{Identity: who, UserID: userID, Groups: stringList(claims[a.cfg.GroupsClaim]), Kind: identity.KindUser}, "", nil
}

// bearer is the token of the Authorization header (HTTP canonical or gRPC lower-case key), "" if none.
func bearer(headers map[string][]string) string {
	for name, values := range headers {
		if !strings.EqualFold(name, "authorization") || len(values) == 0 {
			continue
		}
		scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
		if ok && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(token)
		}
	}
	return ""
}

func classify(err error) string {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return reasonExpired
	case strings.Contains(msg, errUnknownKey.Error()): // go-oidc wraps the key set's error with %v
		return reasonKey
	case strings.Contains(msg, errBadSignature.Error()):
		return reasonSignature
	case strings.Contains(msg, "signing keys unavailable"):
		return reasonKeysDown
	case strings.Contains(msg, "issued by a different provider"):
		return reasonIssuer
	case strings.Contains(msg, "expected audience"):
		return reasonAudience
	case strings.Contains(msg, "malformed"):
		return reasonMalformed
	}
	return reasonOther
}

// stringList reads a groups claim: a JSON list of strings or one string; sorted, duplicates removed.
func stringList(value any) []string {
	var out []string
	switch v := value.(type) {
	case string:
		out = []string{v}
	case []any:
		for _, item := range v {
			if s, ok := item.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	uniq := out[:0]
	for i, s := range out {
		if i == 0 || s != out[i-1] {
			uniq = append(uniq, s)
		}
	}
	return uniq
}

func discoverJWKS(ctx context.Context, issuer string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: 15 * time.Second})
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return "", fmt.Errorf("ccstreamauth: OIDC discovery of %s: %w", issuer, err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&doc); err != nil || doc.JWKSURI == "" {
		return "", fmt.Errorf("ccstreamauth: %s's discovery document has no jwks_uri", issuer)
	}
	return doc.JWKSURI, nil
}
