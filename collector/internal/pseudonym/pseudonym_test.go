package pseudonym

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ccstream/otelcol-ccstream/internal/identity"
)

// vectorsPath is shared with the Python twin's tests (tests/auth/test_pseudonym.py).
const vectorsPath = "../../../tests/auth/pseudonym_vectors.json"

type vectors struct {
	Keys    json.RawMessage `json:"keys"`
	Vectors []struct {
		Identity   string `json:"identity"`
		Month      string `json:"month"`
		Normalised string `json:"normalised"`
		Pseudonym  string `json:"pseudonym"`
	} `json:"vectors"`
}

func TestSharedVectors(t *testing.T) {
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc vectors
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ring, err := Parse(string(doc.Keys))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) < 5 {
		t.Fatalf("only %d vectors", len(doc.Vectors))
	}
	for _, v := range doc.Vectors {
		if got := identity.Normalise(v.Identity); got != v.Normalised {
			t.Errorf("Normalise(%q) = %q, want %q", v.Identity, got, v.Normalised)
		}
		if got := ring.Of(v.Identity, v.Month); got != v.Pseudonym {
			t.Errorf("Of(%q, %s) = %s, want %s", v.Identity, v.Month, got, v.Pseudonym)
		}
	}
}

func TestParseRefusesBadKeyrings(t *testing.T) {
	cases := map[string]string{
		"not json":     `keys`,
		"no key":       `{"keys":[]}`,
		"bad id":       `{"keys":[{"id":"k-1","from":"2026-01","secret":"AAECAwQFBgcICQoLDA0ODw=="}]}`,
		"bad month":    `{"keys":[{"id":"k1","from":"2026-13","secret":"AAECAwQFBgcICQoLDA0ODw=="}]}`,
		"not base64":   `{"keys":[{"id":"k1","from":"2026-01","secret":"%%%"}]}`,
		"short secret": `{"keys":[{"id":"k1","from":"2026-01","secret":"AAEC"}]}`,
		"same month twice": `{"keys":[{"id":"k1","from":"2026-01","secret":"AAECAwQFBgcICQoLDA0ODw=="},` +
			`{"id":"k2","from":"2026-01","secret":"AAECAwQFBgcICQoLDA0ODw=="}]}`,
	}
	for name, text := range cases {
		if _, err := Parse(text); err == nil {
			t.Errorf("%s: accepted %s", name, text)
		} else if strings.Contains(err.Error(), "AAECAwQFBgcICQoLDA0ODw") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}
