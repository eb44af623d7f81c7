{{/*
The exporter's YAML config (--config), one per workload. The exporter
decodes it strictly, so only keys of its own schema are emitted.
*/}}

{{- define "x509-certificate-exporter.config.server" -}}
{{- if .Values.rbacProxy.enabled }}
{{- /* Only kube-rbac-proxy, in the same Pod, may reach the exporter. */}}
listen: {{ printf "127.0.0.1:%d" (int .Values.rbacProxy.upstreamListenPort) | quote }}
{{- else }}
listen: {{ printf ":%d" (int .Values.podListenPort) | quote }}
{{- end }}
{{- if include "x509-certificate-exporter.webConfigEnabled" . }}
webConfigFile: /etc/x509-certificate-exporter-web/webconfig.yaml
{{- end }}
{{- $probe := int (include "x509-certificate-exporter.probeListenPort" .) }}
{{- if gt $probe 0 }}
probeListen: {{ printf ":%d" $probe | quote }}
{{- end }}
{{- end -}}

{{/* subject_CN-style entries of metricLabelsFilterList become DN field lists. Argument: list root prefix explicit. */}}
{{- define "x509-certificate-exporter.config.dnFields" -}}
{{- $root := index . 0 -}}{{- $prefix := index . 1 -}}{{- $explicit := index . 2 -}}
{{- if not (kindIs "invalid" $explicit) -}}
{{- toJson $explicit -}}
{{- else if not (kindIs "invalid" $root.Values.metricLabelsFilterList) -}}
{{- $fields := list -}}
{{- range $root.Values.metricLabelsFilterList }}{{ if hasPrefix $prefix . }}{{ $fields = append $fields (trimPrefix $prefix .) }}{{ end }}{{ end -}}
{{- toJson $fields -}}
{{- end -}}
{{- end -}}

{{/*
An alert the chart enables must be able to fire: CertificateError reads
x509_cert_error and CertificateNotYetValid x509_cert_not_before, so each
turns its metric on. Argument: list root trimPathComponents.
*/}}
{{- define "x509-certificate-exporter.config.metrics" -}}
{{- $root := index . 0 -}}{{- $v := $root.Values -}}{{- $r := $v.prometheusRules -}}
{{- $rules := and $r.create (not $r.disableBuiltinAlertGroup) -}}
exposeRelative: {{ $v.exposeRelativeMetrics }}
exposePerCertError: {{ or $v.exposePerCertificateErrorMetrics (and $rules $r.alertOnCertificateError) }}
exposeExpired: {{ $v.exposeExpiredMetric }}
exposeNotBefore: {{ or $v.exposeNotBeforeMetric (and $rules $r.alertOnCertificateNotYetValid) }}
exposeDiagnostics: {{ $v.exposeDiagnosticMetrics }}
trimPathComponents: {{ index . 1 }}
{{- with include "x509-certificate-exporter.config.dnFields" (list $root "subject_" $v.exposeSubjectFields) }}
exposeSubjectFields: {{ . }}
{{- end }}
{{- with include "x509-certificate-exporter.config.dnFields" (list $root "issuer_" $v.exposeIssuerFields) }}
exposeIssuerFields: {{ . }}
{{- end }}
{{- end -}}

{{- define "x509-certificate-exporter.config.common" -}}
{{- $root := index . 0 -}}
server:
  {{- include "x509-certificate-exporter.config.server" $root | trim | nindent 2 }}
log:
  level: {{ if index . 1 }}debug{{ else }}info{{ end }}
  format: {{ $root.Values.logFormat }}
web:
  enableStats: {{ $root.Values.web.enableStats }}
metrics:
  {{- include "x509-certificate-exporter.config.metrics" (list $root (index . 2)) | trim | nindent 2 }}
{{- end -}}

{{- define "x509-certificate-exporter.config.secretType" -}}
type: {{ .type | quote }}
{{- if .keyPatterns }}
keyPatterns: {{ toJson .keyPatterns }}
{{- else }}
key: {{ .key | quote }}
{{- end }}
format: {{ default "pem" .format }}
{{- with .pkcs12 }}
pkcs12: {{ toJson . }}
{{- end }}
{{- with .jks }}
jks: {{ toJson . }}
{{- end }}
{{- end -}}

{{- define "x509-certificate-exporter.config.rateLimit" -}}
{{- with .Values.secretsExporter.kubeApiRateLimits }}{{ if .enabled }}
rateLimit:
  qps: {{ .queriesPerSecond }}
  burst: {{ int .burstQueries }}
{{- end }}{{ end }}
{{- end -}}

{{/* The Deployment's config: the Secrets/ConfigMaps source, the cabundle source, the tlsEndpoints sources, or any of them. */}}
{{- define "x509-certificate-exporter.config.secrets" -}}
{{- $v := .Values.secretsExporter -}}
{{- $cab := .Values.cabundlesExporter -}}
{{- include "x509-certificate-exporter.config.common" (list . $v.debugMode 0) }}
sources:
  {{- if and $v.enabled (or $v.secretTypes $v.configMapKeys) }}
  - kind: kubernetes
    name: cluster-secrets
    refreshInterval: {{ $v.refreshInterval | quote }}
    {{- if gt (int $v.listPageSize) 0 }}
    listPageSize: {{ int $v.listPageSize }}
    {{- end }}
    {{- with include "x509-certificate-exporter.config.rateLimit" . | trim }}{{ nindent 4 . }}{{ end }}
    namespaces:
      include: {{ toJson (default list $v.includeNamespaces) }}
      exclude: {{ toJson (default list $v.excludeNamespaces) }}
      includeLabels: {{ toJson (default list $v.includeNamespaceLabels) }}
      excludeLabels: {{ toJson (default list $v.excludeNamespaceLabels) }}
    {{- if $v.secretTypes }}
    secrets:
      include: {{ toJson (default list $v.includeSecrets) }}
      exclude: {{ toJson (default list $v.excludeSecrets) }}
      includeLabels: {{ toJson (default list $v.includeLabels) }}
      excludeLabels: {{ toJson (default list $v.excludeLabels) }}
      exposeLabels: {{ toJson (default list $v.exposeSecretLabels) }}
      types:
        {{- range $v.secretTypes }}
        - {{ include "x509-certificate-exporter.config.secretType" . | nindent 10 | trim }}
        {{- end }}
    {{- end }}
    {{- if $v.configMapKeys }}
    configMaps:
      include: {{ toJson (default list $v.includeConfigMaps) }}
      exclude: {{ toJson (default list $v.excludeConfigMaps) }}
      keyPatterns:
        {{- range $v.configMapKeys }}
        - {{ printf "^%s$" (regexQuoteMeta .) | quote }}
        {{- end }}
      format: pem
      exposeLabels: {{ toJson (default list $v.exposeConfigMapLabels) }}
    {{- end }}
  {{- end }}
  {{- if $cab.enabled }}
  {{- $r := $cab.resources }}
  {{- if not (or $r.mutating $r.validating $r.apiservice $r.crdConversion) }}
  {{- fail "cabundlesExporter.resources enables nothing: set mutating, validating, apiservice or crdConversion (or cabundlesExporter.enabled=false)" }}
  {{- end }}
  - kind: cabundle
    name: cluster-cabundles
    refreshInterval: {{ $cab.refreshInterval | quote }}
    {{- if gt (int $cab.listPageSize) 0 }}
    listPageSize: {{ int $cab.listPageSize }}
    {{- end }}
    {{- /* One Pod, one API budget: the Secrets source's limits apply here too. */}}
    {{- with include "x509-certificate-exporter.config.rateLimit" . | trim }}{{ nindent 4 . }}{{ end }}
    cabundles:
      resources:
        mutating: {{ $r.mutating }}
        validating: {{ $r.validating }}
        apiservice: {{ $r.apiservice }}
        crdConversion: {{ $r.crdConversion }}
      include: {{ toJson (default list $cab.includeNames) }}
      exclude: {{ toJson (default list $cab.excludeNames) }}
      includeLabels: {{ toJson (default list $cab.includeLabels) }}
      excludeLabels: {{ toJson (default list $cab.excludeLabels) }}
      exposeLabels: {{ toJson (default list $cab.exposeLabels) }}
  {{- end }}
  {{- with include "x509-certificate-exporter.config.tls" . | trim }}{{ nindent 2 . }}{{ end }}
{{- end -}}

{{/*
The tlsEndpoints sources: `kube-apiserver` probes the API server with the
ServiceAccount's CA (mounted: the Deployment's Pods automount the token),
`tls-endpoints` the listed targets with `caFile`. Two sources, because a
source has one set of roots. Prints a YAML list, or nothing.
*/}}
{{- define "x509-certificate-exporter.config.tls" -}}
{{- if include "x509-certificate-exporter.tlsEndpointsEnabled" . }}
{{- $t := .Values.tlsEndpoints }}
{{- if not (or $t.probeApiServer $t.targets) }}
{{- fail "tlsEndpoints enables nothing: set tlsEndpoints.targets or tlsEndpoints.probeApiServer (or tlsEndpoints.enabled=false)" }}
{{- end }}
{{- if $t.probeApiServer }}
{{ include "x509-certificate-exporter.config.tlsSource" (list $t "kube-apiserver" "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" (list "kubernetes.default.svc:443")) }}
{{- end }}
{{- with $t.targets }}
{{ include "x509-certificate-exporter.config.tlsSource" (list $t "tls-endpoints" $t.caFile .) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* One `kind: tls` source. Argument: list tlsEndpoints name caFile targets. */}}
{{- define "x509-certificate-exporter.config.tlsSource" -}}
{{- $t := index . 0 -}}{{- $ca := index . 2 -}}
- kind: tls
  name: {{ index . 1 }}
  refreshInterval: {{ $t.refreshInterval | quote }}
  timeout: {{ $t.timeout | quote }}
  concurrency: {{ int $t.concurrency }}
  {{- with $ca }}
  caFile: {{ . | quote }}
  {{- end }}
  {{- with $t.gracePeriod }}
  gracePeriod: {{ . | quote }}
  {{- end }}
  targets:
    {{- range index . 3 }}
    {{- if kindIs "map" . }}
    {{- $target := dict "address" .address }}
    {{- with .serverName }}{{ $_ := set $target "serverName" . }}{{ end }}
    {{- with .starttls }}{{ $_ := set $target "starttls" . }}{{ end }}
    - {{ toJson $target }}
    {{- else }}
    - {{ . | quote }}
    {{- end }}
    {{- end }}
{{- end -}}

{{/*
Effective settings of one DaemonSet: each key of the entry replaces the
hostPathsExporter default whole, as upstream. Argument: list root entry.
Prints YAML.
*/}}
{{- define "x509-certificate-exporter.hostPathsDs" -}}
{{- $root := index . 0 -}}{{- $entry := index . 1 | default dict -}}
{{- $out := omit (deepCopy $root.Values.hostPathsExporter) "daemonSets" -}}
{{- range $k, $v := $entry }}{{ $_ := set $out $k $v }}{{ end -}}
{{- toYaml $out -}}
{{- end -}}

{{- define "x509-certificate-exporter.hostPath" -}}
{{- clean (printf "/mnt/host/%s" .) -}}
{{- end -}}

{{/*
What one DaemonSet reads. `scan` are the host paths of its file source,
`kubeconfigs` those of its kubeconfig source, `dirs` the host directories
to mount: the parent of each file, each watched directory, the static
prefix of each glob, minus those under another one. Argument: effective
settings. Prints JSON.
*/}}
{{- define "x509-certificate-exporter.hostPlan" -}}
{{- $scan := list -}}{{- $kube := list -}}{{- $dirs := list -}}
{{- range .watchFiles }}{{ $scan = append $scan (clean .) }}{{ $dirs = append $dirs (dir (clean .)) }}{{ end -}}
{{- range .watchDirectories -}}
{{- $prefix := include "x509-certificate-exporter.watchDirStaticPrefix" . -}}
{{- if not (hasPrefix "/" $prefix) }}{{ fail (printf "invalid watchDirectories entry %q: must be an absolute path" .) }}{{ end -}}
{{- $scan = append $scan (clean .) }}{{ $dirs = append $dirs $prefix -}}
{{- end -}}
{{- range .watchSpecificExtensionDirectories -}}
{{- $scan = append $scan (printf "%s/*.%s" (clean .directory) .extension) }}{{ $dirs = append $dirs (clean .directory) -}}
{{- end -}}
{{- range .watchKubeconfFiles }}{{ $kube = append $kube (clean .) }}{{ $dirs = append $dirs (dir (clean .)) }}{{ end -}}
{{- $kept := list -}}
{{- range $d := $dirs | sortAlpha | uniq -}}
{{- $covered := false -}}
{{- range $k := $kept }}{{ if or (eq $k "/") (eq $k $d) (hasPrefix (printf "%s/" $k) $d) }}{{ $covered = true }}{{ end }}{{ end -}}
{{- if not $covered }}{{ $kept = append $kept $d }}{{ end -}}
{{- end -}}
{{- toJson (dict "scan" $scan "kubeconfigs" $kube "dirs" $kept) -}}
{{- end -}}

{{/* Argument: list root name effectiveSettings. */}}
{{- define "x509-certificate-exporter.config.hostPaths" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}{{- $ds := index . 2 -}}
{{- $plan := include "x509-certificate-exporter.hostPlan" $ds | fromJson -}}
{{- /* trimPathComponents 2 drops /mnt/host: filepath labels show the node's own paths. */}}
{{- include "x509-certificate-exporter.config.common" (list $root $ds.debugMode 2) }}
cache:
  filePoll:
    interval: {{ $ds.refreshInterval | quote }}
    skipUnchanged: true
{{- if not (or $plan.scan $plan.kubeconfigs) }}
{{- /* Nothing to watch renders, as upstream: the exporter then serves its own metrics only. */}}
sources: []
{{- else }}
sources:
  {{- with $plan.scan }}
  - kind: file
    name: {{ printf "host-paths-%s" $name }}
    paths:
      {{- range . }}
      - {{ include "x509-certificate-exporter.hostPath" . | quote }}
      {{- end }}
    followSymlinks: {{ not $ds.skipSymlinks }}
    refreshInterval: {{ $ds.refreshInterval | quote }}
    formats: {{ toJson (default (list "pem") $ds.formats) }}
    {{- /* Absolute symlink targets are host paths: map them into the mounts (and nowhere else). */}}
    pathMappings:
      {{- range $plan.dirs }}
      - from: {{ . | quote }}
        to: {{ include "x509-certificate-exporter.hostPath" . | quote }}
      {{- end }}
  {{- end }}
  {{- with $plan.kubeconfigs }}
  - kind: kubeconfig
    name: {{ printf "host-kubeconfigs-%s" $name }}
    paths:
      {{- range . }}
      - {{ include "x509-certificate-exporter.hostPath" . | quote }}
      {{- end }}
    refreshInterval: {{ $ds.refreshInterval | quote }}
  {{- end }}
{{- end }}
{{- end -}}
