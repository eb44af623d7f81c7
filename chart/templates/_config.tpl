{{/*
Generation of the exporter's YAML config (--config). The exporter decodes it
strictly, so only keys of its schema are ever emitted. Each helper prints YAML.
*/}}

{{- define "x509.config.server" -}}
listen: {{ printf ":%d" (int .Values.podListenPort) | quote }}
{{- if include "x509.webConfigEnabled" . }}
webConfigFile: /etc/x509-certificate-exporter-web/webconfig.yaml
probeListen: {{ printf ":%d" (int .Values.probeListenPort) | quote }}
{{- end }}
{{- end -}}

{{/* subject_CN-style entries of metricLabelsFilterList turn into DN field lists. */}}
{{- define "x509.config.dnFields" -}}
{{- $root := index . 0 -}}{{- $prefix := index . 1 -}}{{- $explicit := index . 2 -}}
{{- if not (kindIs "invalid" $explicit) -}}
{{- toJson $explicit -}}
{{- else if not (kindIs "invalid" $root.Values.metricLabelsFilterList) -}}
{{- $fields := list -}}
{{- range $root.Values.metricLabelsFilterList }}{{ if hasPrefix $prefix . }}{{ $fields = append $fields (trimPrefix $prefix .) }}{{ end }}{{ end -}}
{{- toJson $fields -}}
{{- end -}}
{{- end -}}

{{/* list root trimPathComponents */}}
{{- define "x509.config.metrics" -}}
{{- $root := index . 0 -}}{{- $v := $root.Values -}}
exposeRelative: {{ $v.exposeRelativeMetrics }}
exposePerCertError: {{ $v.exposePerCertificateErrorMetrics }}
exposeExpired: {{ $v.exposeExpiredMetric }}
exposeNotBefore: {{ $v.exposeNotBeforeMetric }}
exposeDiagnostics: {{ $v.exposeDiagnosticMetrics }}
trimPathComponents: {{ index . 1 }}
{{- with include "x509.config.dnFields" (list $root "subject_" $v.exposeSubjectFields) }}
exposeSubjectFields: {{ . }}
{{- end }}
{{- with include "x509.config.dnFields" (list $root "issuer_" $v.exposeIssuerFields) }}
exposeIssuerFields: {{ . }}
{{- end }}
{{- end -}}

{{- define "x509.config.secretType" -}}
type: {{ .type | quote }}
{{- if .keyPatterns }}
keyPatterns: {{ toJson .keyPatterns }}
{{- else }}
key: {{ .key | quote }}
{{- end }}
format: {{ default "pem" .format }}
{{- with .pkcs12 }}
{{ ternary "jks" "pkcs12" (eq $.format "jks") }}: {{ toJson . }}
{{- end }}
{{- with .jks }}
jks: {{ toJson . }}
{{- end }}
{{- end -}}

{{/* The Deployment's config: the Secrets/ConfigMaps source, the cabundle source, or both. */}}
{{- define "x509.config.secrets" -}}
{{- $v := .Values.secretsExporter -}}
{{- $cab := .Values.cabundlesExporter -}}
{{- if and $v.enabled (not $v.secretTypes) (not $v.configMapKeys) -}}
{{- fail "secretsExporter needs secretTypes or configMapKeys (or set secretsExporter.enabled=false)" -}}
{{- end -}}
{{- if $cab.enabled -}}
{{- $r := $cab.resources -}}
{{- if not (or $r.mutating $r.validating $r.apiservice $r.crdConversion) -}}
{{- fail "cabundlesExporter.resources enables nothing: set mutating, validating, apiservice or crdConversion (or cabundlesExporter.enabled=false)" -}}
{{- end -}}
{{- end -}}
server:
  {{- include "x509.config.server" . | nindent 2 }}
log:
  level: {{ ternary "debug" "info" $v.debugMode }}
  format: {{ .Values.logFormat }}
web:
  enableStats: {{ .Values.web.enableStats }}
metrics:
  {{- include "x509.config.metrics" (list . 0) | nindent 2 }}
sources:
  {{- if $v.enabled }}
  - kind: kubernetes
    name: cluster-secrets
    refreshInterval: {{ $v.refreshInterval | quote }}
    {{- if gt (int $v.listPageSize) 0 }}
    listPageSize: {{ int $v.listPageSize }}
    {{- end }}
    {{- if $v.kubeApiRateLimits.enabled }}
    rateLimit:
      qps: {{ $v.kubeApiRateLimits.queriesPerSecond }}
      burst: {{ int $v.kubeApiRateLimits.burstQueries }}
    {{- end }}
    namespaces:
      include: {{ toJson $v.includeNamespaces }}
      exclude: {{ toJson $v.excludeNamespaces }}
      includeLabels: {{ toJson $v.includeNamespaceLabels }}
      excludeLabels: {{ toJson $v.excludeNamespaceLabels }}
    {{- if $v.secretTypes }}
    secrets:
      includeLabels: {{ toJson $v.includeLabels }}
      excludeLabels: {{ toJson $v.excludeLabels }}
      exposeLabels: {{ toJson $v.exposeSecretLabels }}
      types:
        {{- range $v.secretTypes }}
        - {{ include "x509.config.secretType" . | nindent 10 | trim }}
        {{- end }}
    {{- end }}
    {{- if $v.configMapKeys }}
    configMaps:
      keyPatterns:
        {{- range $v.configMapKeys }}
        - {{ printf "^%s$" (regexQuoteMeta .) | quote }}
        {{- end }}
      format: pem
      exposeLabels: {{ toJson $v.exposeConfigMapLabels }}
    {{- end }}
  {{- end }}
  {{- if $cab.enabled }}
  - kind: cabundle
    name: cluster-cabundles
    refreshInterval: {{ $cab.refreshInterval | quote }}
    {{- if gt (int $cab.listPageSize) 0 }}
    listPageSize: {{ int $cab.listPageSize }}
    {{- end }}
    {{- /* One pod, one API budget: the Secrets source's limits apply here too. */}}
    {{- if $v.kubeApiRateLimits.enabled }}
    rateLimit:
      qps: {{ $v.kubeApiRateLimits.queriesPerSecond }}
      burst: {{ int $v.kubeApiRateLimits.burstQueries }}
    {{- end }}
    cabundles:
      resources:
        mutating: {{ $cab.resources.mutating }}
        validating: {{ $cab.resources.validating }}
        apiservice: {{ $cab.resources.apiservice }}
        crdConversion: {{ $cab.resources.crdConversion }}
      include: {{ toJson $cab.includeNames }}
      exclude: {{ toJson $cab.excludeNames }}
      includeLabels: {{ toJson $cab.includeLabels }}
      excludeLabels: {{ toJson $cab.excludeLabels }}
      exposeLabels: {{ toJson $cab.exposeLabels }}
  {{- end }}
{{- end -}}

{{/*
Effective settings of one DaemonSet: hostPathsExporter defaults overridden
key by key by the entry; the two security contexts merge one level deep so
an entry can flip runAsUser without losing `drop: [ALL]`.
Argument: list root entry. Prints YAML.
*/}}
{{- define "x509.hostPathsDs" -}}
{{- $root := index . 0 -}}{{- $entry := index . 1 | default dict -}}
{{- $out := dict -}}
{{- range $k, $v := $root.Values.hostPathsExporter -}}
{{- if and (ne $k "daemonSets") (kindIs "invalid" $v) }}{{ $_ := set $out $k $v }}
{{- else if ne $k "daemonSets" }}{{ $_ := set $out $k (deepCopy $v) }}{{ end -}}
{{- end -}}
{{- range $k, $v := $entry -}}
{{- if and (has $k (list "securityContext" "podSecurityContext")) (kindIs "map" $v) -}}
{{- $merged := deepCopy (default dict (get $out $k)) -}}
{{- range $ck, $cv := $v }}{{ if kindIs "invalid" $cv }}{{ $_ := unset $merged $ck }}{{ else }}{{ $_ := set $merged $ck $cv }}{{ end }}{{ end -}}
{{- $_ := set $out $k $merged -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Host directories to mount for one DaemonSet: the parent of every watched
file, every watched directory, minus those already under another one.
Argument: effective DaemonSet settings. Prints a JSON list.
*/}}
{{- define "x509.hostDirs" -}}
{{- $dirs := list -}}
{{- range .watchFiles }}{{ $dirs = append $dirs (dir (clean .)) }}{{ end -}}
{{- range .watchKubeconfFiles }}{{ $dirs = append $dirs (dir (clean .)) }}{{ end -}}
{{- range .watchDirectories }}{{ $dirs = append $dirs (clean .) }}{{ end -}}
{{- range .watchSpecificExtensionDirectories }}{{ $dirs = append $dirs (clean .directory) }}{{ end -}}
{{- $kept := list -}}
{{- range $d := $dirs | sortAlpha | uniq -}}
{{- $covered := false -}}
{{- range $k := $kept }}{{ if or (eq $k "/") (hasPrefix (printf "%s/" $k) $d) }}{{ $covered = true }}{{ end }}{{ end -}}
{{- if not $covered }}{{ $kept = append $kept $d }}{{ end -}}
{{- end -}}
{{- toJson $kept -}}
{{- end -}}

{{- define "x509.hostPath" -}}
{{- clean (printf "/mnt/host/%s" .) -}}
{{- end -}}

{{/* Argument: list root name effectiveSettings. */}}
{{- define "x509.config.hostPaths" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}{{- $ds := index . 2 -}}
{{- $hasFiles := or $ds.watchFiles $ds.watchDirectories $ds.watchSpecificExtensionDirectories -}}
{{- if and (not $hasFiles) (not $ds.watchKubeconfFiles) -}}
{{- fail (printf "hostPathsExporter.daemonSets.%s watches nothing: set watchFiles, watchDirectories, watchSpecificExtensionDirectories or watchKubeconfFiles" $name) -}}
{{- end -}}
server:
  {{- include "x509.config.server" $root | nindent 2 }}
log:
  level: {{ ternary "debug" "info" $ds.debugMode }}
  format: {{ $root.Values.logFormat }}
web:
  enableStats: {{ $root.Values.web.enableStats }}
metrics:
  {{- /* drop /mnt/host so filepath labels show the node's own paths */}}
  {{- include "x509.config.metrics" (list $root 2) | nindent 2 }}
cache:
  filePoll:
    interval: {{ $ds.refreshInterval | quote }}
    skipUnchanged: true
sources:
  {{- if $hasFiles }}
  - kind: file
    name: {{ printf "host-paths-%s" $name }}
    paths:
      {{- range $ds.watchFiles }}
      - {{ include "x509.hostPath" . | quote }}
      {{- end }}
      {{- range $ds.watchDirectories }}
      - {{ include "x509.hostPath" . | quote }}
      {{- end }}
      {{- range $ds.watchSpecificExtensionDirectories }}
      - {{ printf "%s/*.%s" (include "x509.hostPath" .directory) .extension | quote }}
      {{- end }}
    followSymlinks: {{ not $ds.skipSymlinks }}
    refreshInterval: {{ $ds.refreshInterval | quote }}
    formats: {{ toJson $ds.formats }}
    pathMappings:
      {{- range include "x509.hostDirs" $ds | fromJsonArray }}
      - from: {{ . | quote }}
        to: {{ include "x509.hostPath" . | quote }}
      {{- end }}
  {{- end }}
  {{- with $ds.watchKubeconfFiles }}
  - kind: kubeconfig
    name: {{ printf "host-kubeconfigs-%s" $name }}
    paths:
      {{- range . }}
      - {{ include "x509.hostPath" . | quote }}
      {{- end }}
    refreshInterval: {{ $ds.refreshInterval | quote }}
  {{- end }}
{{- end -}}
