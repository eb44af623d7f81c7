// Command render is a small stand-in for `helm template` used by the chart
// tests, because helm itself cannot be installed on the build machines.
//
// It merges values.yaml with -f files and --set overrides the way Helm
// coalesces them (maps merge deeply, null deletes a key), validates the
// result against values.schema.json, then renders every template with
// text/template + sprig + the Helm built-ins the chart relies on and prints
// a multi-document YAML stream.
//
// Beyond `helm template`: --upgrade renders as `helm upgrade` would
// (.Release.IsUpgrade), --lookup FILE answers `lookup` from a YAML stream of
// objects (as if they were in the cluster), and --notes prints the rendered
// NOTES.txt instead of the manifests.
//
//	render [-f values.yaml]... [--set a.b=c]... [--name rel] [--namespace ns]
//	       [--upgrade] [--lookup objects.yaml] [--notes] CHART_DIR
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type options struct {
	upgrade bool
	lookup  string
	notes   bool
}

var opts options

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var files, sets multiFlag
	flag.Var(&files, "f", "values file (repeatable)")
	flag.Var(&sets, "set", "override a.b.c=value, value parsed as YAML (repeatable)")
	name := flag.String("name", "release", "release name")
	ns := flag.String("namespace", "monitoring", "release namespace")
	flag.BoolVar(&opts.upgrade, "upgrade", false, "render as an upgrade (.Release.IsUpgrade)")
	flag.StringVar(&opts.lookup, "lookup", "", "YAML stream of objects that `lookup` finds")
	flag.BoolVar(&opts.notes, "notes", false, "print NOTES.txt only")
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
	// Helm always hands charts a `global` map, and validates it like any value.
	if _, ok := values["global"]; !ok {
		values["global"] = map[string]interface{}{}
	}
	if errs, err := validateValues(chartDir, values); err != nil {
		return err
	} else if len(errs) > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n- %s",
			chartMeta["name"], strings.Join(errs, "\n- "))
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
	var cur interface{} = values
	setter := func(interface{}) {}
	unset := func() {}
	for _, part := range strings.Split(expr[:eq], ".") {
		name, index := part, -1
		if m := indexed.FindStringSubmatch(part); m != nil {
			name = m[1]
			index, _ = strconv.Atoi(m[2])
		}
		m, ok := cur.(map[string]interface{})
		if !ok {
			m = map[string]interface{}{}
			setter(m)
		}
		if index < 0 {
			cur = m[name]
			setter = func(v interface{}) { m[name] = v }
			unset = func() { delete(m, name) }
			continue
		}
		// name[i]: Helm grows the list with nulls up to the index.
		list, _ := m[name].([]interface{})
		for len(list) <= index {
			list = append(list, nil)
		}
		m[name] = list
		cur = list[index]
		setter = func(v interface{}) { list[index] = v }
		unset = func() { list[index] = nil }
	}
	if v == nil {
		unset() // as Helm: `--set key=null` removes the key
		return nil
	}
	setter(normalize(v))
	return nil
}

var indexed = regexp.MustCompile(`^(.+)\[(\d+)\]$`)

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
			"IsInstall": !opts.upgrade, "IsUpgrade": opts.upgrade, "Revision": 1,
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
	cluster, err := readObjects(opts.lookup)
	if err != nil {
		return "", err
	}
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) map[string]interface{} {
		for _, o := range cluster {
			meta, _ := o["metadata"].(map[string]interface{})
			if o["apiVersion"] == apiVersion && o["kind"] == kind &&
				fmt.Sprint(meta["namespace"]) == namespace && fmt.Sprint(meta["name"]) == name {
				return o
			}
		}
		return map[string]interface{}{}
	}
	root.Funcs(funcs)

	tplDir := filepath.Join(chartDir, "templates")
	var names []string
	notes := ""
	err = filepath.Walk(tplDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tplDir, p)
		full := path.Join(chartName, "templates", filepath.ToSlash(rel))
		if _, err := root.New(full).Parse(string(raw)); err != nil {
			return err
		}
		base := filepath.Base(p)
		if base == "NOTES.txt" {
			notes = full
		} else if !strings.HasPrefix(base, "_") {
			names = append(names, full)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if opts.notes {
		if notes == "" {
			return "", fmt.Errorf("the chart has no NOTES.txt")
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, notes, top); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	sort.Strings(names)

	var out strings.Builder
	for _, n := range names {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, n, top); err != nil {
			return "", helmError(err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitDocs(text) {
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, doc)
		}
	}
	return out.String(), nil
}

var (
	calling  = regexp.MustCompile(`error calling (?:fail|required): `)
	location = regexp.MustCompile(`template: ([^:\s]+:\d+:\d+): `)
)

// helmError words a `fail` or `required` the way Helm does:
// `execution error at (chart/templates/x.yaml:12:4): message`.
func helmError(err error) error {
	msg := err.Error()
	loc := calling.FindAllStringIndex(msg, -1)
	if loc == nil {
		return err
	}
	where := "unknown"
	if all := location.FindAllStringSubmatch(msg[:loc[len(loc)-1][0]], -1); len(all) > 0 {
		where = all[len(all)-1][1]
	}
	return fmt.Errorf("execution error at (%s): %s", where, msg[loc[len(loc)-1][1]:])
}

// readObjects reads the objects `lookup` can find; no file means an empty cluster.
func readObjects(file string) ([]map[string]interface{}, error) {
	if file == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var objs []map[string]interface{}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var v interface{}
		if err := dec.Decode(&v); err != nil {
			if err.Error() == "EOF" {
				return objs, nil
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if m, ok := normalize(v).(map[string]interface{}); ok {
			objs = append(objs, m)
		}
	}
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
