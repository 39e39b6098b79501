// Package identity is what the authenticator (tokenauth) proves about a caller and hands to the identity processor
// through the request context: the collector's client.AuthData, with our attribute names declared once.
package identity

import "strings"

// Kinds of caller.
const (
	KindUser    = "user"
	KindService = "service"
)

// Attribute names of AuthData (client.AuthData.GetAttribute).
const (
	AttrIdentity = "ccstream.identity" // normalised identity claim value, or "service:<name>"
	AttrUserID   = "ccstream.user_id"  // the user-id claim (default "sub"); the identity when absent
	AttrGroups   = "ccstream.groups"   // []string, sorted
	AttrKind     = "ccstream.kind"     // KindUser | KindService
)

// Caller is a verified caller.
type Caller struct {
	Identity string
	UserID   string
	Groups   []string
	Kind     string
}

// AuthData exposes a Caller as the collector's client.AuthData.
type AuthData struct{ Caller Caller }

// GetAttribute implements client.AuthData.
func (a AuthData) GetAttribute(name string) any {
	switch name {
	case AttrIdentity:
		return a.Caller.Identity
	case AttrUserID:
		return a.Caller.UserID
	case AttrGroups:
		return append([]string(nil), a.Caller.Groups...)
	case AttrKind:
		return a.Caller.Kind
	}
	return nil
}

// GetAttributeNames implements client.AuthData.
func (a AuthData) GetAttributeNames() []string {
	return []string{AttrIdentity, AttrUserID, AttrGroups, AttrKind}
}

// Normalise is the identity every store sees: ASCII whitespace trimmed, ASCII letters lower-cased, every other
// character kept as it is. ASCII-only on purpose: Go's and Python's full Unicode case mappings differ (U+0130), and
// the Python twin (consumers/identity/pseudonym.py) must compute the same bytes.
func Normalise(value string) string {
	trimmed := strings.Trim(value, " \t\n\r\f\v")
	out := []byte(trimmed)
	for i, c := range out {
		if c >= 'A' && c <= 'Z' {
			out[i] = c + ('a' - 'A')
		}
	}
	return string(out)
}
