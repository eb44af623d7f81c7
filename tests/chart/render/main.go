// Command render is a small stand-in for `helm template` used by the chart
// tests, because helm itself cannot be installed on the build machines.
//
// It merges values.yaml with -f files and --set overrides the way Helm
// coalesces them (maps merge deeply, null deletes a key), validates the
// result against values.schema.json, then renders every template with
// text/template + sprig + the Helm built-ins the chart relies on and prints
// a multi-document YAML stream.
//
//	render [-f values.yaml]... [--set a.b=c]... [--name rel] [--namespace ns] CHART_DIR
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var files, sets multiFlag
	flag.Var(&files, "f", "values file (repeatable)")
	flag.Var(&sets, "set", "override a.b.c=value, value parsed as YAML (repeatable)")
	name := flag.String("name", "release", "release name")
	ns := flag.String("namespace", "monitoring", "release namespace")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: render [-f file]... [--set k=v]... CHART_DIR")
		os.Exit(64)
	}
	if err := run(flag.Arg(0), files, sets, *name, *ns); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(chartDir string, files, sets []string, name, ns string) error {
	chartMeta, err := readYAMLFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYAMLFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		override, err := readYAMLFile(f)
		if err != nil {
			return err
		}
		values = coalesce(values, override)
	}
	for _, s := range sets {
		if err := applySet(values, s); err != nil {
			return err
		}
	}
	if errs, err := validateValues(chartDir, values); err != nil {
		return err
	} else if len(errs) > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s):\n- %s",
			strings.Join(errs, "\n- "))
	}
	out, err := render(chartDir, chartMeta, values, name, ns)
	if err != nil {
		return err
	}
	_, err = os.Stdout.WriteString(out)
	return err
}

func readYAMLFile(p string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var v interface{}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := normalize(v).(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: top level is not a map", p)
	}
	return m, nil
}

// normalize makes decoded YAML look like Helm's values: JSON-shaped maps and
// every number a float64 (Helm round-trips values through JSON).
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, e := range t {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []interface{}:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

// coalesce overlays src onto dst: maps merge, null removes, anything else replaces.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, sv := range src {
		if sv == nil {
			delete(dst, k)
			continue
		}
		sm, sIsMap := sv.(map[string]interface{})
		dm, dIsMap := dst[k].(map[string]interface{})
		if sIsMap && dIsMap {
			dst[k] = coalesce(dm, sm)
		} else {
			dst[k] = sv
		}
	}
	return dst
}

func applySet(values map[string]interface{}, expr string) error {
	eq := strings.Index(expr, "=")
	if eq < 0 {
		return fmt.Errorf("--set %q: missing '='", expr)
	}
	var v interface{}
	if err := yaml.Unmarshal([]byte(expr[eq+1:]), &v); err != nil {
		return fmt.Errorf("--set %q: %w", expr, err)
	}
	keys := strings.Split(expr[:eq], ".")
	m := values
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if v == nil {
		delete(m, last)
	} else {
		m[last] = normalize(v)
	}
	return nil
}

type apiVersions []string

// Has mirrors Helm's Capabilities.APIVersions.Has. Only the built-in
// groups are reported, like `helm template` without --api-versions.
func (a apiVersions) Has(v string) bool {
	for _, e := range a {
		if e == v {
			return true
		}
	}
	return false
}

type files struct{ root string }

func (f files) Get(name string) string {
	raw, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(name)))
	if err != nil {
		return ""
	}
	return string(raw)
}

func render(chartDir string, chartMeta, values map[string]interface{}, name, ns string) (string, error) {
	chartName := fmt.Sprint(chartMeta["name"])
	top := map[string]interface{}{
		"Values": values,
		"Chart":  titleKeys(chartMeta),
		"Release": map[string]interface{}{
			"Name": name, "Namespace": ns, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": map[string]interface{}{
			"APIVersions": apiVersions{"v1", "apps/v1", "rbac.authorization.k8s.io/v1"},
			"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30"},
		},
		"Files":    files{chartDir},
		"Template": map[string]interface{}{"BasePath": chartName + "/templates"},
	}

	root := template.New("root").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(n string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, n, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		var v interface{}
		if err := yaml.Unmarshal([]byte(s), &v); err != nil {
			return map[string]interface{}{"Error": err.Error()}
		}
		m, _ := normalize(v).(map[string]interface{})
		return m
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromJsonArray"] = func(s string) []interface{} {
		var a []interface{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			return []interface{}{err.Error()}
		}
		return a
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["lookup"] = func(...interface{}) map[string]interface{} { return map[string]interface{}{} }
	root.Funcs(funcs)

	tplDir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(tplDir)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == "NOTES.txt" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(tplDir, n))
		if err != nil {
			return "", err
		}
		full := path.Join(chartName, "templates", n)
		if _, err := root.New(full).Parse(string(raw)); err != nil {
			return "", err
		}
		if !strings.HasPrefix(n, "_") {
			names = append(names, full)
		}
	}
	sort.Strings(names)

	var out strings.Builder
	for _, n := range names {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, n, top); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitDocs(text) {
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, doc)
		}
	}
	return out.String(), nil
}

func splitDocs(text string) []string {
	var docs []string
	for _, d := range strings.Split("\n"+text, "\n---") {
		d = strings.TrimSpace(strings.TrimPrefix(d, "\n"))
		if strings.Trim(d, " \n") != "" && !onlyComments(d) {
			docs = append(docs, d)
		}
	}
	return docs
}

func onlyComments(d string) bool {
	for _, l := range strings.Split(d, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// titleKeys turns Chart.yaml keys into the capitalised fields Helm exposes.
func titleKeys(m map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range m {
		out[strings.ToUpper(k[:1])+k[1:]] = v
	}
	return out
}

func toYAML(v interface{}) string {
	// Go through JSON like Helm does, so numbers and key order match.
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic interface{}
	if err := yaml.Unmarshal(raw, &generic); err != nil {
		return ""
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(generic); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
