package tokenauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// errUnknownKey: the token names a key id the JWKS does not hold (after a refresh, or too soon to refresh).
var errUnknownKey = errors.New("unknown signing key")

// errBadSignature: the key exists and the signature does not verify.
var errBadSignature = errors.New("signature does not verify")

const maxJWKSBytes = 1 << 20

// keySet verifies JWS signatures against a JWKS fetched over HTTP. Unlike go-oidc's RemoteKeySet it refetches on
// an unknown key id at most once per minInterval, so tokens with made-up key ids cannot turn every request into a
// fetch from the identity provider.
type keySet struct {
	url         string
	algs        []jose.SignatureAlgorithm
	minInterval time.Duration
	client      *http.Client

	mu        sync.Mutex
	keys      map[string]jose.JSONWebKey
	fetchedAt time.Time
}

func newKeySet(url string, algs []string, minInterval time.Duration) *keySet {
	ks := &keySet{url: url, minInterval: minInterval, client: &http.Client{Timeout: 10 * time.Second}}
	for _, a := range algs {
		ks.algs = append(ks.algs, jose.SignatureAlgorithm(a))
	}
	return ks
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, k.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("malformed token: exactly one signature expected")
	}
	kid := jws.Signatures[0].Header.KeyID
	key, err := k.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(&key)
	if err != nil {
		return nil, errBadSignature
	}
	return payload, nil
}

func (k *keySet) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	if !k.fetchedAt.IsZero() && time.Since(k.fetchedAt) < k.minInterval {
		return jose.JSONWebKey{}, errUnknownKey
	}
	keys, err := k.fetch(ctx)
	k.fetchedAt = time.Now()
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("signing keys unavailable: %w", err)
	}
	k.keys = keys
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	return jose.JSONWebKey{}, errUnknownKey
}

func (k *keySet) fetch(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", k.url, resp.StatusCode)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return nil, fmt.Errorf("GET %s: %w", k.url, err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil {
			continue // a key type we cannot use (the other keys still count)
		}
		if key.IsPublic() && key.Use != "enc" {
			keys[key.KeyID] = key
		}
	}
	return keys, nil
}
