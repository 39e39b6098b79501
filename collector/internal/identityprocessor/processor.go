// Package identityprocessor is the ccstream_identity processor: it makes every data point and event carry the
// identity the authenticator verified (never the client's), the organisation attributes the server-side mapping
// gives that identity's groups, and — in pseudonymous mode — keyed pseudonyms instead of identities. It must run
// before `batch`, which drops the request context the verified caller travels in.
package identityprocessor

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/ccstream/otelcol-ccstream/internal/identity"
	"github.com/ccstream/otelcol-ccstream/internal/pseudonym"
	"github.com/ccstream/otelcol-ccstream/internal/source"
)

var errNoCaller = errors.New("ccstream_identity: no verified caller in the request (is the receiver's auth ccstreamauth?)")

type identityProcessor struct {
	cfg     *Config
	logger  *zap.Logger
	keys    *pseudonym.Keyring
	mapping mappingStore
	cancel  context.CancelFunc
	now     func() time.Time
}

func newProcessor(cfg *Config, logger *zap.Logger) (*identityProcessor, error) {
	p := &identityProcessor{cfg: cfg, logger: logger, now: time.Now}
	if cfg.IdentityMode == ModePseudonymous {
		keys, err := pseudonym.Parse(string(cfg.Keys))
		if err != nil {
			return nil, err
		}
		p.keys = keys
	}
	return p, nil
}

func (p *identityProcessor) start(_ context.Context, _ component.Host) error {
	if p.cfg.OrgMapping == "" {
		return nil
	}
	fetch, err := source.New(p.cfg.OrgMapping, p.cfg.AWSEndpoint)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	return source.Watch(ctx, fetch, parseMapping, p.mapping.set, p.cfg.ReloadInterval, p.logger, "organisation mapping")
}

func (p *identityProcessor) shutdown(context.Context) error {
	if p.cancel != nil {
		p.cancel()
	}
	return nil
}

// request is what one OTLP request's points get, computed once.
type request struct {
	p      *identityProcessor
	caller *identity.Caller
	org    map[string]string
	groups string
	cache  map[[2]string]string // (identity, month) → pseudonym
}

func (p *identityProcessor) request(ctx context.Context) (*request, error) {
	r := &request{p: p, cache: map[[2]string]string{}}
	if p.cfg.Source == SourceClient {
		r.org = p.cfg.Defaults
		return r, nil
	}
	auth := client.FromContext(ctx).Auth
	if auth == nil {
		return nil, consumererror.NewPermanent(errNoCaller)
	}
	who, _ := auth.GetAttribute(identity.AttrIdentity).(string)
	if who == "" {
		return nil, consumererror.NewPermanent(errNoCaller)
	}
	userID, _ := auth.GetAttribute(identity.AttrUserID).(string)
	kind, _ := auth.GetAttribute(identity.AttrKind).(string)
	groups, _ := auth.GetAttribute(identity.AttrGroups).([]string)
	r.caller = &identity.Caller{Identity: who, UserID: userID, Groups: groups, Kind: kind}
	r.org = p.mapping.get().resolve(groups, p.cfg.Defaults)
	r.groups = joinCapped(groups, p.cfg.MaxGroupsLength)
	return r, nil
}

func (r *request) pseudonym(who string, ts pcommon.Timestamp) string {
	t := ts.AsTime()
	if ts == 0 {
		t = r.p.now()
	}
	key := [2]string{who, pseudonym.Month(t)}
	if p, ok := r.cache[key]; ok {
		return p
	}
	p := r.p.keys.Of(who, key[1])
	r.cache[key] = p
	return p
}

// resource cleans a resource's attributes: in token mode every client-supplied key goes; in client mode the
// identity keys move down to the points (see pushDown) so that they are pseudonymised with the points.
func (r *request) resource(attrs pcommon.Map) pcommon.Map {
	moved := pcommon.NewMap()
	attrs.RemoveIf(func(key string, value pcommon.Value) bool {
		if r.caller != nil {
			return clientSupplied(key)
		}
		if identityKey(key) {
			value.CopyTo(moved.PutEmpty(key))
			return true
		}
		return false
	})
	return moved
}

// point applies the identity to one data point's or log record's attributes.
func (r *request) point(attrs, fromResource pcommon.Map, ts pcommon.Timestamp) {
	if r.caller != nil {
		r.fromToken(attrs, ts)
	} else {
		r.fromClient(attrs, fromResource, ts)
	}
	for k, v := range r.org {
		if _, ok := attrs.Get(k); !ok || r.caller != nil {
			attrs.PutStr(k, v)
		}
	}
}

func (r *request) fromToken(attrs pcommon.Map, ts pcommon.Timestamp) {
	attrs.RemoveIf(func(key string, _ pcommon.Value) bool { return clientSupplied(key) })
	c := r.caller
	email, userID := c.Identity, c.UserID
	if r.p.keys != nil {
		email = r.pseudonym(c.Identity, ts)
		userID = email
	}
	attrs.PutStr(attrUserID, userID)
	if c.Kind != identity.KindService {
		attrs.PutStr(attrEmail, email)
	}
	if r.groups != "" {
		attrs.PutStr(attrGroups, r.groups)
	}
}

func (r *request) fromClient(attrs, fromResource pcommon.Map, ts pcommon.Timestamp) {
	fromResource.Range(func(key string, value pcommon.Value) bool {
		value.CopyTo(attrs.PutEmpty(key)) // awsemf lets the resource win too
		return true
	})
	if r.p.keys == nil {
		return
	}
	attrs.RemoveIf(func(key string, _ pcommon.Value) bool { return pseudonymousDropped[key] })
	email, hasEmail := attrs.Get(attrEmail)
	id, hasID := attrs.Get(attrUserID)
	who := ""
	switch {
	case hasEmail && email.AsString() != "":
		who = email.AsString()
	case hasID:
		who = id.AsString()
	}
	if who == "" {
		return
	}
	p := r.pseudonym(who, ts)
	attrs.PutStr(attrUserID, p)
	if hasEmail {
		attrs.PutStr(attrEmail, p)
	}
}

func (p *identityProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	r, err := p.request(ctx)
	if err != nil {
		return md, err
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		moved := r.resource(rm.Resource().Attributes())
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				eachPoint(ms.At(k), func(attrs pcommon.Map, ts pcommon.Timestamp) { r.point(attrs, moved, ts) })
			}
		}
	}
	return md, nil
}

func (p *identityProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	r, err := p.request(ctx)
	if err != nil {
		return ld, err
	}
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		moved := r.resource(rl.Resource().Attributes())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			records := sls.At(j).LogRecords()
			for k := 0; k < records.Len(); k++ {
				rec := records.At(k)
				ts := rec.Timestamp()
				if ts == 0 {
					ts = rec.ObservedTimestamp()
				}
				r.point(rec.Attributes(), moved, ts)
			}
		}
	}
	return ld, nil
}

// eachPoint calls f with the attributes and time of every data point of m, whatever its type.
func eachPoint(m pmetric.Metric, f func(pcommon.Map, pcommon.Timestamp)) {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		for i, dps := 0, m.Sum().DataPoints(); i < dps.Len(); i++ {
			f(dps.At(i).Attributes(), dps.At(i).Timestamp())
		}
	case pmetric.MetricTypeGauge:
		for i, dps := 0, m.Gauge().DataPoints(); i < dps.Len(); i++ {
			f(dps.At(i).Attributes(), dps.At(i).Timestamp())
		}
	case pmetric.MetricTypeHistogram:
		for i, dps := 0, m.Histogram().DataPoints(); i < dps.Len(); i++ {
			f(dps.At(i).Attributes(), dps.At(i).Timestamp())
		}
	case pmetric.MetricTypeExponentialHistogram:
		for i, dps := 0, m.ExponentialHistogram().DataPoints(); i < dps.Len(); i++ {
			f(dps.At(i).Attributes(), dps.At(i).Timestamp())
		}
	case pmetric.MetricTypeSummary:
		for i, dps := 0, m.Summary().DataPoints(); i < dps.Len(); i++ {
			f(dps.At(i).Attributes(), dps.At(i).Timestamp())
		}
	}
}

// joinCapped joins sorted groups with commas, keeping whole names within limit bytes.
func joinCapped(groups []string, limit int) string {
	var b strings.Builder
	for _, g := range groups {
		sep := 0
		if b.Len() > 0 {
			sep = 1
		}
		if b.Len()+sep+len(g) > limit {
			break
		}
		if sep == 1 {
			b.WriteByte(',')
		}
		b.WriteString(g)
	}
	return b.String()
}
