// Command native is the bench's native peer (bench/scale.ts): the simplest
// exporter of file certificates the Go standard library allows, so the Deno
// exporter's memory and latency at scale can be read against what a native
// process costs for the same work, measured in the same run.
//
// It scans the files matching -glob at start and every -poll, keeps per
// certificate only what the metrics need (serial, issuer and subject fields,
// validity), and renders /metrics from that at every scrape: no caching, no
// config file, file sources only. The families and label set are the Deno
// exporter's default output for a file source (every location column, empty
// where it does not apply), so both bodies are line for line the same.
//
// Usage: native -listen 127.0.0.1:0 -glob '/dir/**/*.pem' [-glob ...] [-poll 5m]
// The first line on stdout is `listening ADDR`, the address actually bound.
package main

import (
	"bufio"
	"compress/gzip"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cert is what the metrics need of one certificate.
type cert struct {
	serial              string
	issuer, subject     [6]string // C, ST, L, O, OU, CN
	notBefore, notAfter int64     // seconds since the epoch
}

// bundle is one file and the certificates it holds, in file order.
type bundle struct {
	path, name string
	certs      []cert
}

// snapshot is the result of one scan; a scrape reads the latest one.
type snapshot struct {
	bundles    []bundle
	readErrors int
}

var (
	current atomic.Pointer[snapshot]
	// The Deno exporter's location columns, in its order: only filename and filepath apply here.
	emptyLocation = []string{
		"embedded_kind", "embedded_key", "secret_namespace", "secret_name", "secret_key",
		"configmap_namespace", "configmap_name", "configmap_key", "cabundle_resource_kind",
		"cabundle_resource_name", "cabundle_entry", "probe_target", "probe_server_name",
	}
	dnFields = [6]string{"C", "ST", "L", "O", "OU", "CN"}
)

type patterns []string

func (p *patterns) String() string     { return strings.Join(*p, ",") }
func (p *patterns) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	poll := flag.Duration("poll", 5*time.Minute, "re-scan interval")
	notBefore := flag.Bool("expose-not-before", false, "also export x509_cert_not_before")
	var globs patterns
	flag.Var(&globs, "glob", "files to read (repeatable; ** matches any number of directories)")
	flag.Parse()
	if len(globs) == 0 {
		log.Fatal("at least one -glob is needed")
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	os.Stdout.Sync()

	go func() {
		for {
			current.Store(scan(globs))
			time.Sleep(*poll)
		}
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if current.Load() == nil {
			http.Error(w, "not ready: first scan not finished", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		metrics(w, r, *notBefore)
	})
	log.Fatal(http.Serve(ln, mux))
}

// scan reads every file the patterns match (patterns in order, matches sorted, each file once).
func scan(globs []string) *snapshot {
	s := &snapshot{}
	seen := map[string]bool{}
	for _, g := range globs {
		for _, path := range expand(g) {
			if seen[path] {
				continue
			}
			seen[path] = true
			b, errs := readBundle(path)
			s.readErrors += errs
			if len(b.certs) > 0 {
				s.bundles = append(s.bundles, b)
			}
		}
	}
	return s
}

// expand lists the regular files matching pattern, sorted. `**` matches zero or more
// directories; the other segments follow filepath.Match.
func expand(pattern string) []string {
	segs := strings.Split(filepath.Clean(pattern), string(filepath.Separator))
	root := 0
	for root < len(segs) && !strings.ContainsAny(segs[root], `*?[\`) {
		root++
	}
	base := strings.Join(segs[:root], string(filepath.Separator))
	if base == "" {
		base = string(filepath.Separator)
	}
	if root == len(segs) {
		if st, err := os.Stat(base); err == nil && st.Mode().IsRegular() {
			return []string{base}
		}
		return nil
	}
	var out []string
	filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(base, path)
		if !match(segs[root:], strings.Split(rel, string(filepath.Separator))) {
			return nil
		}
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func match(pat, path []string) bool {
	if len(pat) == 0 {
		return len(path) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(path); i++ {
			if match(pat[1:], path[i:]) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return false
	}
	ok, _ := filepath.Match(pat[0], path[0])
	return ok && match(pat[1:], path[1:])
}

// readBundle decodes every CERTIFICATE block of a PEM file; errors counts what failed.
func readBundle(path string) (b bundle, errors int) {
	b = bundle{path: path, name: filepath.Base(path)}
	data, err := os.ReadFile(path)
	if err != nil {
		return b, 1
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			errors++
			continue
		}
		b.certs = append(b.certs, cert{
			serial:    c.SerialNumber.String(),
			issuer:    fields(c.Issuer.Country, c.Issuer.Province, c.Issuer.Locality, c.Issuer.Organization, c.Issuer.OrganizationalUnit, c.Issuer.CommonName),
			subject:   fields(c.Subject.Country, c.Subject.Province, c.Subject.Locality, c.Subject.Organization, c.Subject.OrganizationalUnit, c.Subject.CommonName),
			notBefore: c.NotBefore.Unix(),
			notAfter:  c.NotAfter.Unix(),
		})
	}
	if len(b.certs) == 0 && errors == 0 {
		errors = 1 // no certificate found
	}
	return b, errors
}

// fields takes the first C, ST, L, O, OU and the (last) CN, as the Deno exporter's labels do.
func fields(c, st, l, o, ou []string, cn string) [6]string {
	first := func(v []string) string {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	return [6]string{first(c), first(st), first(l), first(o), first(ou), cn}
}

var gzipPool = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// metrics renders the text format from the latest snapshot, gzip-compressed when asked for.
func metrics(w http.ResponseWriter, r *http.Request, notBefore bool) {
	s := current.Load()
	if s == nil {
		s = &snapshot{}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			gz.Close()
			gz.Reset(nil)
			gzipPool.Put(gz)
		}()
		out = gz
	}
	bw := bufio.NewWriterSize(out, 64*1024)
	defer bw.Flush()
	now := time.Now().Unix()
	if notBefore {
		family(bw, s, "x509_cert_not_before", "Certificate validity start date, in seconds since the epoch",
			func(c *cert) int64 { return c.notBefore })
	}
	family(bw, s, "x509_cert_not_after", "Certificate expiration date, in seconds since the epoch",
		func(c *cert) int64 { return c.notAfter })
	family(bw, s, "x509_cert_expired", "1 if the certificate has expired, 0 otherwise",
		func(c *cert) int64 {
			if now > c.notAfter {
				return 1
			}
			return 0
		})
	fmt.Fprintf(bw, "# HELP x509_read_errors Files or blocks that could not be read or parsed at the last scan\n# TYPE x509_read_errors gauge\nx509_read_errors %d\n", s.readErrors)
}

func family(w *bufio.Writer, s *snapshot, name, help string, value func(*cert) int64) {
	w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n")
	var num [20]byte
	for i := range s.bundles {
		b := &s.bundles[i]
		for j := range b.certs {
			c := &b.certs[j]
			w.WriteString(name)
			label(w, '{', "filename", b.name)
			label(w, ',', "filepath", b.path)
			for _, l := range emptyLocation {
				label(w, ',', l, "")
			}
			label(w, ',', "serial_number", c.serial)
			label(w, ',', "crl_number", "")
			for k, f := range dnFields {
				label(w, ',', "issuer_"+f, c.issuer[k])
			}
			for k, f := range dnFields {
				label(w, ',', "subject_"+f, c.subject[k])
			}
			w.WriteString("} ")
			w.Write(strconv.AppendInt(num[:0], value(c), 10))
			w.WriteByte('\n')
		}
	}
}

// label writes `<sep>name="value"`, the value escaped per the text format (\\, \", \n).
func label(w *bufio.Writer, sep byte, name, value string) {
	w.WriteByte(sep)
	w.WriteString(name)
	w.WriteString(`="`)
	for i := 0; i < len(value); i++ {
		switch ch := value[i]; ch {
		case '\\':
			w.WriteString(`\\`)
		case '"':
			w.WriteString(`\"`)
		case '\n':
			w.WriteString(`\n`)
		default:
			w.WriteByte(ch)
		}
	}
	w.WriteByte('"')
}

// acceptsGzip: `gzip`, `x-gzip` or `*` in Accept-Encoding with a non-zero q.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(strings.ToLower(header), ",") {
		params := strings.Split(part, ";")
		coding := strings.TrimSpace(params[0])
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		ok := true
		for _, p := range params[1:] {
			if q := strings.TrimSpace(p); strings.HasPrefix(q, "q=") {
				v, err := strconv.ParseFloat(q[2:], 64)
				ok = err == nil && v > 0
			}
		}
		return ok
	}
	return false
}
