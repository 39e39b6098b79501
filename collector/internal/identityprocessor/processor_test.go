package identityprocessor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/ccstream/otelcol-ccstream/internal/identity"
)

// Keys of tests/auth/pseudonym_vectors.json; the expected pseudonyms below are that file's openssl-computed ones.
const keysJSON = `{"keys":[{"id":"k1","from":"2026-01","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},` +
	`{"id":"k2","from":"2026-07","secret":"Y2NzdHJlYW0tdGVzdC1rZXktdHdvLTMyLWJ5dGVzISE="}]}`

const (
	adaMarch = "p-k1-5c820b4a5aac8f31eb6741825bfecb8e" // ada@example.com, 2026-03 (k1)
	mapping1 = `
defaults: {cost_center: general}
groups:
  - {group: eng-platform, department: engineering, team.id: platform, cost_center: CC-100}
  - {group: all, department: everyone, organization: acme}
`
)

var forged = map[string]string{
	"user.email": "mallory@example.com", "user.id": "forged-id", "user.name": "Mallory", "department": "finance",
	"team.id": "forged-team", "cost_center": "CC-999", "organization": "evil", "organization.id": "org-x",
	"x-user-email": "mallory@example.com", "enduser.id": "m", "user.account_uuid": "u",
}

func march(day int) pcommon.Timestamp {
	return pcommon.NewTimestampFromTime(time.Date(2026, 3, day, 12, 0, 0, 0, time.UTC))
}

func metrics(ts pcommon.Timestamp) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	for k, v := range forged {
		rm.Resource().Attributes().PutStr(k, v)
	}
	rm.Resource().Attributes().PutStr("service.name", "claude-code")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("claude_code.cost.usage")
	dp := m.SetEmptySum().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetDoubleValue(1)
	for k, v := range forged {
		dp.Attributes().PutStr(k, v)
	}
	dp.Attributes().PutStr("model", "claude-sonnet-4-5")
	return md
}

func withCaller(c identity.Caller) context.Context {
	return client.NewContext(context.Background(), client.Info{Auth: identity.AuthData{Caller: c}})
}

func newTestProcessor(t *testing.T, cfg *Config) *identityProcessor {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := newProcessor(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.shutdown(context.Background()) })
	return p
}

func tokenConfig(t *testing.T, mode string) *Config {
	path := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(path, []byte(mapping1), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.IdentityMode, cfg.OrgMapping = mode, path
	cfg.Defaults = map[string]string{"department": "unspecified", "team.id": "default-team", "cost_center": "fallback"}
	if mode == ModePseudonymous {
		cfg.Keys = keysJSON
	}
	return cfg
}

func attrsOf(md pmetric.Metrics) (resource, point map[string]any) {
	rm := md.ResourceMetrics().At(0)
	return rm.Resource().Attributes().AsRaw(), rm.ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0).Attributes().AsRaw()
}

func TestTokenIdentityReplacesEverythingTheClientSent(t *testing.T) {
	p := newTestProcessor(t, tokenConfig(t, ModePlain))
	ctx := withCaller(identity.Caller{Identity: "ada@example.com", UserID: "00u1", Groups: []string{"all", "eng-platform"}, Kind: identity.KindUser})
	md, err := p.processMetrics(ctx, metrics(march(2)))
	if err != nil {
		t.Fatal(err)
	}
	resource, point := attrsOf(md)
	if len(resource) != 1 || resource["service.name"] != "claude-code" {
		t.Errorf("resource = %v: every forged attribute must be gone", resource)
	}
	want := map[string]any{
		"user.email": "ada@example.com", "user.id": "00u1", "user.groups": "all,eng-platform",
		"department": "engineering", "team.id": "platform", "cost_center": "CC-100", "organization": "acme",
		"model": "claude-sonnet-4-5",
	}
	if !equal(point, want) {
		t.Errorf("point = %v\nwant    %v", point, want)
	}
}

func TestUnmappedCallersGetTheDefaultsAndServiceAccountsNoEmail(t *testing.T) {
	p := newTestProcessor(t, tokenConfig(t, ModePlain))
	ctx := withCaller(identity.Caller{Identity: "service:ci-bot", UserID: "service:ci-bot", Kind: identity.KindService})
	md, err := p.processMetrics(ctx, metrics(march(2)))
	if err != nil {
		t.Fatal(err)
	}
	_, point := attrsOf(md)
	want := map[string]any{
		"user.id": "service:ci-bot", "department": "unspecified", "team.id": "default-team",
		"cost_center": "general", "model": "claude-sonnet-4-5",
	}
	if !equal(point, want) {
		t.Errorf("point = %v\nwant    %v", point, want)
	}
}

func TestPseudonymousModeWritesNoPlainIdentity(t *testing.T) {
	p := newTestProcessor(t, tokenConfig(t, ModePseudonymous))
	ctx := withCaller(identity.Caller{Identity: "ada@example.com", UserID: "00u1", Groups: []string{"eng-platform"}, Kind: identity.KindUser})
	md, err := p.processMetrics(ctx, metrics(march(3)))
	if err != nil {
		t.Fatal(err)
	}
	_, point := attrsOf(md)
	if point["user.email"] != adaMarch || point["user.id"] != adaMarch {
		t.Errorf("point = %v, want user.email = user.id = %s", point, adaMarch)
	}
	if point["team.id"] != "platform" || point["user.groups"] != "eng-platform" {
		t.Errorf("groups and mapped attributes stay plain: %v", point)
	}
	for _, v := range point {
		if s, _ := v.(string); strings.Contains(s, "ada") || strings.Contains(s, "00u1") || strings.Contains(s, "mallory") {
			t.Errorf("plain identity left: %v", point)
		}
	}
	// July uses key k2: a different pseudonym, named by its key.
	md, _ = p.processMetrics(ctx, metrics(pcommon.NewTimestampFromTime(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))))
	if _, point = attrsOf(md); !strings.HasPrefix(point["user.email"].(string), "p-k2-") {
		t.Errorf("July: %v", point["user.email"])
	}
}

func TestLogRecordsGetTheSameTreatment(t *testing.T) {
	p := newTestProcessor(t, tokenConfig(t, ModePseudonymous))
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("user.email", "mallory@example.com")
	rec := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	rec.SetObservedTimestamp(march(4)) // no event time: the observed time picks the key
	rec.Attributes().PutStr("user.email", "mallory@example.com")
	rec.Attributes().PutStr("department", "finance")
	ctx := withCaller(identity.Caller{Identity: "ada@example.com", UserID: "00u1", Kind: identity.KindUser})
	ld, err := p.processLogs(ctx, ld)
	if err != nil {
		t.Fatal(err)
	}
	got := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
	if got["user.email"] != adaMarch || got["department"] != "unspecified" {
		t.Errorf("record = %v", got)
	}
	if ld.ResourceLogs().At(0).Resource().Attributes().Len() != 0 {
		t.Errorf("resource kept a client identity")
	}
}

func TestTokenModeWithoutACallerRefusesTheData(t *testing.T) {
	p := newTestProcessor(t, tokenConfig(t, ModePlain))
	_, err := p.processMetrics(context.Background(), metrics(march(2)))
	if err == nil || !consumererror.IsPermanent(err) {
		t.Errorf("err = %v, want a permanent error", err)
	}
}

func TestClientModeKeepsTheClientsIdentityAndFillsDefaults(t *testing.T) {
	cfg := defaultConfig()
	cfg.Source = SourceClient
	cfg.Defaults = map[string]string{"team.id": "default-team", "location": "earth"}
	p := newTestProcessor(t, cfg)
	md, err := p.processMetrics(context.Background(), metrics(march(2)))
	if err != nil {
		t.Fatal(err)
	}
	_, point := attrsOf(md)
	if point["user.email"] != "mallory@example.com" || point["team.id"] != "forged-team" || point["location"] != "earth" {
		t.Errorf("point = %v", point)
	}
}

func TestClientModePseudonymisesTheClientsIdentity(t *testing.T) {
	cfg := defaultConfig()
	cfg.Source, cfg.IdentityMode, cfg.Keys = SourceClient, ModePseudonymous, keysJSON
	p := newTestProcessor(t, cfg)
	md := metrics(march(2))
	dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	dp.Attributes().PutStr("user.email", "ADA@example.com ")
	md.ResourceMetrics().At(0).Resource().Attributes().Remove("user.email")
	md, err := p.processMetrics(context.Background(), md)
	if err != nil {
		t.Fatal(err)
	}
	resource, point := attrsOf(md)
	if point["user.email"] != adaMarch || point["user.id"] != adaMarch {
		t.Errorf("point = %v", point)
	}
	for _, k := range []string{"user.name", "user.account_uuid", "organization.id"} {
		if _, ok := point[k]; ok {
			t.Errorf("%s kept in pseudonymous mode", k)
		}
		if _, ok := resource[k]; ok {
			t.Errorf("%s kept on the resource", k)
		}
	}
}

func TestMappingPrecedenceAndValidation(t *testing.T) {
	m, err := parseMapping([]byte(mapping1))
	if err != nil {
		t.Fatal(err)
	}
	got := m.resolve([]string{"all", "eng-platform"}, map[string]string{"location": "earth", "cost_center": "x"})
	want := map[string]string{"department": "engineering", "team.id": "platform", "cost_center": "CC-100", "organization": "acme", "location": "earth"}
	if len(got) != len(want) {
		t.Errorf("resolve = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{
		"groups: [{group: g, user.email: x}]",
		"groups: [{team.id: t}]",
		"defaults: {x-team: t}",
		"groups: [{group: g, team.id: ''}]",
	} {
		if _, err := parseMapping([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if m, err := parseMapping(nil); err != nil || len(m.resolve(nil, nil)) != 0 {
		t.Errorf("an absent mapping must mean defaults only: %v %v", m, err)
	}
}

func TestGroupsAreCappedAtAWholeName(t *testing.T) {
	for limit, want := range map[int]string{9: "aaaa,bbbb", 8: "aaaa", 14: "aaaa,bbbb,cccc", 3: ""} {
		if got := joinCapped([]string{"aaaa", "bbbb", "cccc"}, limit); got != want {
			t.Errorf("joinCapped(%d) = %q, want %q", limit, got, want)
		}
	}
}

func equal(got map[string]any, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
