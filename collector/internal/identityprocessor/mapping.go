package identityprocessor

import (
	"fmt"
	"sort"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// mapping is the server-side IdP-group → organisation table (collector/README.md, "Organisation mapping").
//
//	defaults: {department: unspecified, team.id: default-team, cost_center: general}
//	groups:
//	  - {group: eng-platform, department: engineering, team.id: platform, cost_center: CC-100, organization: acme}
//
// Precedence, per attribute: the first `groups` entry (file order) whose group the caller has, then the next
// matching entries for what is still unset, then the file's `defaults`, then the processor's `defaults`.
type mapping struct {
	Defaults map[string]string `yaml:"defaults"`
	Groups   []groupEntry      `yaml:"groups"`
}

type groupEntry struct {
	Group      string
	Attributes map[string]string
}

func (g *groupEntry) UnmarshalYAML(node *yaml.Node) error {
	var raw map[string]string
	if err := node.Decode(&raw); err != nil {
		return err
	}
	g.Group = raw["group"]
	delete(raw, "group")
	g.Attributes = raw
	return nil
}

func parseMapping(data []byte) (*mapping, error) {
	m := &mapping{}
	if err := yaml.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("organisation mapping: %w", err)
	}
	if err := checkOrgKeys("defaults", m.Defaults); err != nil {
		return nil, err
	}
	for i, g := range m.Groups {
		if g.Group == "" {
			return nil, fmt.Errorf("organisation mapping: groups[%d] has no group", i)
		}
		if err := checkOrgKeys("group "+g.Group, g.Attributes); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func checkOrgKeys(where string, attrs map[string]string) error {
	for key, value := range attrs {
		if !orgKeys[key] {
			return fmt.Errorf("organisation mapping: %s: %q is not an organisation attribute (allowed: %v)", where, key, sortedOrgKeys())
		}
		if value == "" {
			return fmt.Errorf("organisation mapping: %s: %s is empty", where, key)
		}
	}
	return nil
}

func sortedOrgKeys() []string {
	out := make([]string, 0, len(orgKeys))
	for k := range orgKeys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// resolve is the organisation attributes of a caller with these groups.
func (m *mapping) resolve(groups []string, fallback map[string]string) map[string]string {
	member := make(map[string]bool, len(groups))
	for _, g := range groups {
		member[g] = true
	}
	out := map[string]string{}
	fill := func(attrs map[string]string) {
		for k, v := range attrs {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	}
	if m != nil {
		for _, g := range m.Groups {
			if member[g.Group] {
				fill(g.Attributes)
			}
		}
		fill(m.Defaults)
	}
	fill(fallback)
	return out
}

type mappingStore struct{ current atomic.Pointer[mapping] }

func (s *mappingStore) set(m *mapping) { s.current.Store(m) }
func (s *mappingStore) get() *mapping  { return s.current.Load() }
