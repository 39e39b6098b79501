package tokenauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/ccstream/otelcol-ccstream/internal/identity"
)

const (
	issuer   = "https://idp.test"
	audience = "ccstream-collector"
)

type idp struct {
	server *httptest.Server
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	hits   atomic.Int64
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{rsa: rsaKey, ec: ecKey}
	p.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.hits.Add(1)
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &rsaKey.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
			{Key: &ecKey.PublicKey, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
		}}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(p.server.Close)
	return p
}

func sign(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func claims(overrides map[string]any) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{
		"iss": issuer, "aud": audience, "sub": "00u1", "email": " Ada@Example.com",
		"groups": []string{"eng-platform", "all"}, "iat": now, "exp": now + 600,
	}
	for k, v := range overrides {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func start(t *testing.T, cfg *Config) *authenticator {
	t.Helper()
	a, err := newAuthenticator(cfg, componenttest.NewNopTelemetrySettings())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return a
}

func oidcConfig(p *idp) *Config {
	cfg := defaultConfig()
	cfg.Issuer, cfg.Audience, cfg.JWKSURL = issuer, audience, p.server.URL
	return cfg
}

func auth(a *authenticator, token string) (identity.Caller, error) {
	headers := map[string][]string{}
	if token != "" {
		headers["Authorization"] = []string{"Bearer " + token}
	}
	ctx, err := a.Authenticate(context.Background(), headers)
	if err != nil {
		return identity.Caller{}, err
	}
	return client.FromContext(ctx).Auth.(identity.AuthData).Caller, nil
}

func TestValidTokensGiveTheClaimsIdentity(t *testing.T) {
	p := newIDP(t)
	a := start(t, oidcConfig(p))
	for _, token := range []string{
		sign(t, p.rsa, jose.RS256, "rsa-1", claims(nil)),
		sign(t, p.ec, jose.ES256, "ec-1", claims(nil)),
	} {
		caller, err := auth(a, token)
		if err != nil {
			t.Fatal(err)
		}
		if caller.Identity != "ada@example.com" || caller.UserID != "00u1" || caller.Kind != identity.KindUser {
			t.Errorf("caller = %+v", caller)
		}
		if strings.Join(caller.Groups, ",") != "all,eng-platform" {
			t.Errorf("groups = %v", caller.Groups)
		}
	}
}

func TestBadTokensAreRefusedWithTheReason(t *testing.T) {
	p := newIDP(t)
	a := start(t, oidcConfig(p))
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	cases := map[string]struct{ token, want string }{
		"no token":        {"", "missing bearer token"},
		"expired":         {sign(t, p.rsa, jose.RS256, "rsa-1", claims(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), reasonExpired},
		"wrong audience":  {sign(t, p.rsa, jose.RS256, "rsa-1", claims(map[string]any{"aud": "someone-else"})), reasonAudience},
		"wrong issuer":    {sign(t, p.rsa, jose.RS256, "rsa-1", claims(map[string]any{"iss": "https://evil.test"})), reasonIssuer},
		"wrong signature": {sign(t, other, jose.RS256, "rsa-1", claims(nil)), reasonSignature},
		"unknown kid":     {sign(t, other, jose.RS256, "rsa-9", claims(nil)), reasonKey},
		"no email claim":  {sign(t, p.rsa, jose.RS256, "rsa-1", claims(map[string]any{"email": nil})), "no usable"},
		"service: email":  {sign(t, p.rsa, jose.RS256, "rsa-1", claims(map[string]any{"email": "service:ci"})), "no usable"},
		"not a jwt":       {"abc.def", reasonMalformed},
	}
	for name, c := range cases {
		_, err := auth(a, c.token)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", name, err, c.want)
		}
	}
}

func TestUnknownKeyIDsDoNotHammerTheJWKS(t *testing.T) {
	p := newIDP(t)
	a := start(t, oidcConfig(p))
	if _, err := auth(a, sign(t, p.rsa, jose.RS256, "rsa-1", claims(nil))); err != nil {
		t.Fatal(err)
	}
	before := p.hits.Load()
	for i := 0; i < 20; i++ {
		if _, err := auth(a, sign(t, p.rsa, jose.RS256, "made-up", claims(nil))); err == nil {
			t.Fatal("an unknown kid was accepted")
		}
	}
	if got := p.hits.Load() - before; got != 0 {
		t.Errorf("%d JWKS fetches within key_refresh_min_interval, want 0", got)
	}
}

func TestServiceAccountsAreRevokedByTheNextReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts.yaml")
	token := ServiceAccountPrefix + "s3cr3t-token-for-tests"
	sum := sha256.Sum256([]byte(token))
	write := func(text string) {
		if err := os.WriteFile(path+".tmp", []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write("service_accounts:\n  - {name: ci-bot, sha256: " + hex.EncodeToString(sum[:]) + ", groups: [ci, platform]}\n")
	cfg := defaultConfig()
	cfg.ServiceAccounts, cfg.ReloadInterval = path, 20*time.Millisecond
	a := start(t, cfg)

	caller, err := auth(a, token)
	if err != nil {
		t.Fatal(err)
	}
	if caller.Identity != "service:ci-bot" || caller.Kind != identity.KindService || strings.Join(caller.Groups, ",") != "ci,platform" {
		t.Errorf("caller = %+v", caller)
	}
	if _, err := auth(a, ServiceAccountPrefix+"another"); err == nil {
		t.Error("an unlisted service-account token was accepted")
	}
	if _, err := auth(a, "eyJhbGciOi.x.y"); err == nil || !strings.Contains(err.Error(), "only service-account") {
		t.Errorf("a JWT without an issuer configured: err = %v", err)
	}

	write("service_accounts: []\n")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := auth(a, token); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the revoked token was still accepted 5 s after the file changed")
}

func TestBadServiceAccountFilesAreRefused(t *testing.T) {
	for name, text := range map[string]string{
		"bad name": "service_accounts: [{name: 'Bad Name', sha256: " + strings.Repeat("a", 64) + "}]",
		"bad hash": "service_accounts: [{name: ci, sha256: abc}]",
		"twice":    "service_accounts: [{name: a, sha256: " + strings.Repeat("a", 64) + "}, {name: b, sha256: " + strings.Repeat("a", 64) + "}]",
	} {
		if _, err := parseAccounts([]byte(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
