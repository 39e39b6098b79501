// Package pseudonym computes the keyed pseudonyms that replace identities at ingestion (identity_mode:
// pseudonymous). The scheme is shared with consumers/identity/pseudonym.py and documented in collector/README.md
// ("Pseudonyms"); tests/auth/pseudonym_vectors.json holds vectors both test suites check.
package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/ccstream/otelcol-ccstream/internal/identity"
)

// MinSecretBytes is the shortest accepted key (after base64 decoding).
const MinSecretBytes = 16

var (
	keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
	monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
)

type key struct {
	id     string
	from   string // YYYY-MM
	secret []byte
}

// Keyring holds the keys, ordered by the month they apply from.
type Keyring struct{ keys []key }

type keyJSON struct {
	ID     string `json:"id"`
	From   string `json:"from"`
	Secret string `json:"secret"`
}

// Parse reads `{"keys":[{"id":"k1","from":"2026-01","secret":"<base64>"}, ...]}`.
func Parse(text string) (*Keyring, error) {
	var doc struct {
		Keys []keyJSON `json:"keys"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("identity keys: not JSON of the form {\"keys\":[...]}: %w", err)
	}
	if len(doc.Keys) == 0 {
		return nil, errors.New("identity keys: no key")
	}
	ring := &Keyring{}
	ids, months := map[string]bool{}, map[string]bool{}
	for i, k := range doc.Keys {
		if !keyIDPattern.MatchString(k.ID) {
			return nil, fmt.Errorf("identity keys: key %d: id %q must be 1-32 letters, digits or _", i, k.ID)
		}
		if !monthPattern.MatchString(k.From) {
			return nil, fmt.Errorf("identity keys: key %s: from %q is not a YYYY-MM month", k.ID, k.From)
		}
		secret, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("identity keys: key %s: secret is not base64: %w", k.ID, err)
		}
		if len(secret) < MinSecretBytes {
			return nil, fmt.Errorf("identity keys: key %s: secret has %d bytes, at least %d needed", k.ID, len(secret), MinSecretBytes)
		}
		if ids[k.ID] || months[k.From] {
			return nil, fmt.Errorf("identity keys: key %s: id or from month used twice", k.ID)
		}
		ids[k.ID], months[k.From] = true, true
		ring.keys = append(ring.keys, key{id: k.ID, from: k.From, secret: secret})
	}
	sort.Slice(ring.keys, func(a, b int) bool { return ring.keys[a].from < ring.keys[b].from })
	return ring, nil
}

// Month is the UTC month of t as YYYY-MM.
func Month(t time.Time) string { return t.UTC().Format("2006-01") }

// keyFor is the key with the greatest `from` month <= month; the earliest key for a month before every key.
func (r *Keyring) keyFor(month string) key {
	chosen := r.keys[0]
	for _, k := range r.keys {
		if k.from <= month {
			chosen = k
		}
	}
	return chosen
}

// Of is the pseudonym of identity (normalised here) for data of the given UTC month (YYYY-MM):
// "p-" + key id + "-" + the first 32 hex digits of HMAC-SHA256(secret, UTF-8 normalised identity).
func (r *Keyring) Of(value, month string) string {
	k := r.keyFor(month)
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte(identity.Normalise(value)))
	return "p-" + k.id + "-" + hex.EncodeToString(mac.Sum(nil))[:32]
}
