package main

// A deliberately small JSON-schema (draft-07) validator covering only the
// keywords values.schema.json uses: $ref (local), type, properties,
// additionalProperties, propertyNames, required, enum, items, minItems, pattern, minLength,
// minimum, maximum, oneOf, anyOf. Errors read like Helm's own (santhosh-tekuri/jsonschema,
// Helm >= 3.18): a JSON pointer, then the failure
// (`at '/secretsExporter/secretTypes/0': additional properties 'kye' not allowed`).

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

func validateValues(chartDir string, values map[string]interface{}) ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var schema map[string]interface{}
	if err := json.Unmarshal(raw, &schema); err != nil {
		return nil, fmt.Errorf("values.schema.json: %w", err)
	}
	v := &validator{root: schema}
	v.check("", schema, values)
	sort.Strings(v.errs)
	return v.errs, nil
}

type validator struct {
	root map[string]interface{}
	errs []string
}

func (v *validator) fail(p, format string, args ...interface{}) {
	v.errs = append(v.errs, "at '"+p+"': "+fmt.Sprintf(format, args...))
}

func (v *validator) resolve(s map[string]interface{}) map[string]interface{} {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	cur := interface{}(v.root)
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(map[string]interface{})
		cur = m[part]
	}
	target, ok := cur.(map[string]interface{})
	if !ok {
		panic("unresolvable $ref " + ref)
	}
	return v.resolve(target)
}

func (v *validator) matches(s map[string]interface{}, value interface{}) bool {
	sub := &validator{root: v.root}
	sub.check("", s, value)
	return len(sub.errs) == 0
}

func (v *validator) check(p string, schema map[string]interface{}, value interface{}) {
	s := v.resolve(schema)
	if t, ok := s["type"]; ok && !typeMatches(t, value) {
		v.fail(p, "got %s, want %s", typeName(value), typeText(t))
		return
	}
	if enum, ok := s["enum"].([]interface{}); ok {
		found := false
		for _, e := range enum {
			if reflect.DeepEqual(e, value) {
				found = true
			}
		}
		if !found {
			v.fail(p, "value must be one of %s", enumText(enum))
		}
	}
	if alts, ok := s["oneOf"].([]interface{}); ok {
		n := 0
		for _, a := range alts {
			if v.matches(a.(map[string]interface{}), value) {
				n++
			}
		}
		if n == 0 {
			v.fail(p, "oneOf failed, none matched")
		} else if n > 1 {
			v.fail(p, "oneOf failed, %d subschemas matched", n)
		}
	}
	if alts, ok := s["anyOf"].([]interface{}); ok {
		n := 0
		for _, a := range alts {
			if v.matches(a.(map[string]interface{}), value) {
				n++
			}
		}
		if n == 0 {
			v.fail(p, "anyOf failed, none matched")
		}
	}
	switch t := value.(type) {
	case map[string]interface{}:
		v.checkObject(p, s, t)
	case []interface{}:
		if min, ok := s["minItems"].(float64); ok && float64(len(t)) < min {
			v.fail(p, "minItems: got %d, want %v", len(t), min)
		}
		if items, ok := s["items"].(map[string]interface{}); ok {
			for i, e := range t {
				v.check(fmt.Sprintf("%s/%d", p, i), items, e)
			}
		}
	case string:
		if pat, ok := s["pattern"].(string); ok && !regexp.MustCompile(pat).MatchString(t) {
			v.fail(p, "'%s' does not match pattern '%s'", t, pat)
		}
		if min, ok := s["minLength"].(float64); ok && float64(len(t)) < min {
			v.fail(p, "minLength: got %d, want %v", len([]rune(t)), min)
		}
	case float64:
		if min, ok := s["minimum"].(float64); ok && t < min {
			v.fail(p, "minimum: got %v, want %v", t, min)
		}
		if max, ok := s["maximum"].(float64); ok && t > max {
			v.fail(p, "maximum: got %v, want %v", t, max)
		}
	}
}

func (v *validator) checkObject(p string, s map[string]interface{}, obj map[string]interface{}) {
	if req, ok := s["required"].([]interface{}); ok {
		for _, r := range req {
			if _, present := obj[r.(string)]; !present {
				v.fail(p, "missing property '%s'", r)
			}
		}
	}
	if names, ok := s["propertyNames"].(map[string]interface{}); ok {
		for k := range obj {
			sub := &validator{root: v.root}
			sub.check("", names, k)
			if len(sub.errs) > 0 {
				v.fail(p, "invalid propertyName '%s'", k)
			}
		}
	}
	props, _ := s["properties"].(map[string]interface{})
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var extra []string
	for _, k := range keys {
		child := join(p, k)
		if ps, ok := props[k].(map[string]interface{}); ok {
			v.check(child, ps, obj[k])
			continue
		}
		switch ap := s["additionalProperties"].(type) {
		case bool:
			if !ap {
				extra = append(extra, "'"+k+"'")
			}
		case map[string]interface{}:
			v.check(child, ap, obj[k])
		}
	}
	if len(extra) > 0 {
		v.fail(p, "additional properties %s not allowed", strings.Join(extra, ", "))
	}
}

func join(p, k string) string {
	return p + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func typeMatches(t interface{}, value interface{}) bool {
	switch tt := t.(type) {
	case string:
		return typeIs(tt, value)
	case []interface{}:
		for _, e := range tt {
			if typeIs(e.(string), value) {
				return true
			}
		}
	}
	return false
}

func typeIs(t string, value interface{}) bool {
	switch t {
	case "integer":
		f, ok := value.(float64)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := value.(float64)
		return ok
	}
	return typeName(value) == t
}

func typeName(value interface{}) string {
	switch value.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case []interface{}:
		return "array"
	case map[string]interface{}:
		return "object"
	}
	return fmt.Sprintf("%T", value)
}

func typeText(t interface{}) string {
	if list, ok := t.([]interface{}); ok {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, " or ")
	}
	return fmt.Sprint(t)
}

func enumText(enum []interface{}) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		if s, ok := e.(string); ok {
			parts[i] = "'" + s + "'"
		} else {
			raw, _ := json.Marshal(e)
			parts[i] = string(raw)
		}
	}
	return strings.Join(parts, ", ")
}
