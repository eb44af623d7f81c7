{{/*
Names, labels and image references. The helper names are upstream's, so
`extraDeploy` templates written for the upstream chart keep rendering.
*/}}

{{- define "x509-certificate-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release name, suffixed with the chart name unless it already contains it; 63 characters at most. */}}
{{- define "x509-certificate-exporter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "x509-certificate-exporter.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{- define "x509-certificate-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "x509-certificate-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "x509-certificate-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "x509-certificate-exporter.labels" -}}
helm.sh/chart: {{ include "x509-certificate-exporter.chart" . }}
{{ include "x509-certificate-exporter.selectorLabels" . }}
{{- with .Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- range $k, $v := .Values.extraLabels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/*
registry/repository@digest, else registry/repository:tag. An empty registry
leaves the reference without one (no leading slash); global.imageRegistry,
when set, replaces the registry. Argument: list root imageValues defaultTag.
*/}}
{{- define "x509-certificate-exporter.imageRef" -}}
{{- $root := index . 0 -}}{{- $img := index . 1 -}}{{- $tag := index . 2 -}}
{{- $registry := $img.registry -}}
{{- with $root.Values.global }}{{ with .imageRegistry }}{{ $registry = . }}{{ end }}{{ end -}}
{{- $repo := $img.repository -}}
{{- if $registry }}{{ $repo = printf "%s/%s" $registry $img.repository }}{{ end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $repo $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString $tag) -}}
{{- end -}}
{{- end -}}

{{- define "x509-certificate-exporter.image" -}}
{{- $tag := printf "%s%s" (toString (default .Chart.AppVersion .Values.image.tag)) (toString (default "" .Values.image.tagSuffix)) -}}
{{- include "x509-certificate-exporter.imageRef" (list . .Values.image $tag) -}}
{{- end -}}

{{- define "x509-certificate-exporter.rbacProxy.image" -}}
{{- include "x509-certificate-exporter.imageRef" (list . .Values.rbacProxy.image .Values.rbacProxy.image.tag) -}}
{{- end -}}

{{- define "x509-certificate-exporter.secretsExporterName" -}}
{{- include "x509-certificate-exporter.fullname" . -}}
{{- end -}}

{{- define "x509-certificate-exporter.secretsExporterServiceAccountName" -}}
{{- if .Values.rbac.create -}}
{{- default (include "x509-certificate-exporter.fullname" .) .Values.rbac.secretsExporter.serviceAccountName -}}
{{- else -}}
{{- default "default" .Values.rbac.secretsExporter.serviceAccountName -}}
{{- end -}}
{{- end -}}

{{- define "x509-certificate-exporter.hostPathsExporterServiceAccountName" -}}
{{- if .Values.rbac.create -}}
{{- default (printf "%s-node" (include "x509-certificate-exporter.fullname" .)) .Values.rbac.hostPathsExporter.serviceAccountName -}}
{{- else -}}
{{- default "default" .Values.rbac.hostPathsExporter.serviceAccountName -}}
{{- end -}}
{{- end -}}

{{/* ClusterRoles and their bindings carry their ServiceAccount's name. */}}
{{- define "x509-certificate-exporter.secretsExporterClusterRoleName" -}}
{{- if .Values.rbac.create }}{{ include "x509-certificate-exporter.secretsExporterServiceAccountName" . }}{{ end -}}
{{- end -}}

{{- define "x509-certificate-exporter.hostPathsExporterClusterRoleName" -}}
{{- if .Values.rbac.create }}{{ include "x509-certificate-exporter.hostPathsExporterServiceAccountName" . }}{{ end -}}
{{- end -}}

{{- define "x509-certificate-exporter.secretsExporterClusterRoleBindingName" -}}
{{- include "x509-certificate-exporter.secretsExporterClusterRoleName" . -}}
{{- end -}}

{{- define "x509-certificate-exporter.hostPathsExporterClusterRoleBindingName" -}}
{{- include "x509-certificate-exporter.hostPathsExporterClusterRoleName" . -}}
{{- end -}}

{{- define "x509-certificate-exporter.webConfigurationSecretName" -}}
{{- printf "%s-webconf" (include "x509-certificate-exporter.fullname" .) -}}
{{- end -}}

{{- define "x509-certificate-exporter.rbacProxy.tlsSecretName" -}}
{{- printf "%s-rbac-proxy-tls" (include "x509-certificate-exporter.fullname" .) -}}
{{- end -}}

{{/* "true" when /metrics is behind TLS or authentication of the exporter itself. */}}
{{- define "x509-certificate-exporter.webConfigEnabled" -}}
{{- if or .Values.webConfiguration .Values.webConfigurationExistingSecret }}true{{ end -}}
{{- end -}}

{{- define "x509-certificate-exporter.webConfigBody" -}}
{{- if kindIs "string" .Values.webConfiguration -}}
{{- .Values.webConfiguration -}}
{{- else -}}
{{- toYaml .Values.webConfiguration -}}
{{- end -}}
{{- end -}}

{{/*
Port of the plain-HTTP probe listener, "0" when there is none. An
authenticated /metrics (web configuration or kube-rbac-proxy) turns it on
at 8080 so kubelet probes need no credential; an explicit value wins.
*/}}
{{- define "x509-certificate-exporter.probeListenPort" -}}
{{- if gt (int .Values.probeListenPort) 0 -}}
{{- int .Values.probeListenPort -}}
{{- else if or (include "x509-certificate-exporter.webConfigEnabled" .) .Values.rbacProxy.enabled -}}
8080
{{- else -}}
0
{{- end -}}
{{- end -}}

{{/* The Deployment runs for Secrets/ConfigMaps, for caBundle fields, for TLS endpoints, or any of them. Prints "true" or nothing. */}}
{{- define "x509-certificate-exporter.deploymentEnabled" -}}
{{- if or .Values.secretsExporter.enabled .Values.cabundlesExporter.enabled (include "x509-certificate-exporter.tlsEndpointsEnabled" .) }}true{{ end -}}
{{- end -}}

{{/* tlsEndpoints is on (absent from an upstream values file: off). Prints "true" or nothing. */}}
{{- define "x509-certificate-exporter.tlsEndpointsEnabled" -}}
{{- with .Values.tlsEndpoints }}{{ if .enabled }}true{{ end }}{{ end -}}
{{- end -}}

{{/*
Literal namespaces with no namespace label rule: the Secrets exporter is
granted one Role per namespace instead of a ClusterRole. Prints "true" or nothing.
*/}}
{{- define "x509-certificate-exporter.namespacedRbac" -}}
{{- $v := .Values.secretsExporter -}}
{{- $ns := default list $v.includeNamespaces -}}
{{- $literal := and $v.enabled (gt (len $ns) 0) (not .Values.cabundlesExporter.enabled) (not .Values.rbacProxy.enabled) -}}
{{- range $ns }}{{ if regexMatch "[*?\\[\\]{}]" . }}{{ $literal = false }}{{ end }}{{ end -}}
{{- if and $literal (not $v.includeNamespaceLabels) (not $v.excludeNamespaceLabels) }}true{{ end -}}
{{- end -}}

{{/* Namespaced rules of the Secrets exporter: exactly what its source reads. */}}
{{- define "x509-certificate-exporter.secretsRules" -}}
{{- $v := .Values.secretsExporter -}}
{{- if $v.secretTypes }}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch]
{{- end }}
{{- if $v.configMapKeys }}
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
{{- end }}
{{- end -}}

{{/* Rules kube-rbac-proxy needs to authenticate and authorize scrapes. */}}
{{- define "x509-certificate-exporter.rbacProxyRules" -}}
- apiGroups: [authentication.k8s.io]
  resources: [tokenreviews]
  verbs: [create]
- apiGroups: [authorization.k8s.io]
  resources: [subjectaccessreviews]
  verbs: [create]
{{- end -}}

{{/*
Static prefix of a watchDirectories entry: the path up to its first glob
segment, or the entry itself when it has none. A pattern with no static
prefix would mount the node's whole filesystem: it is refused.
*/}}
{{- define "x509-certificate-exporter.watchDirStaticPrefix" -}}
{{- $clean := clean . -}}
{{- if not (regexMatch "[*?\\[]" $clean) -}}
{{- $clean -}}
{{- else -}}
{{- $prefix := list -}}
{{- $done := false -}}
{{- range (splitList "/" $clean) -}}
{{- if regexMatch "[*?\\[]" . }}{{ $done = true }}{{ end -}}
{{- if not $done }}{{ $prefix = append $prefix . }}{{ end -}}
{{- end -}}
{{- $static := clean (join "/" $prefix) -}}
{{- if or (not (hasPrefix "/" $static)) (eq $static "/") -}}
{{- fail (printf "invalid watchDirectories entry %q: a glob must be anchored at a non-glob static prefix such as /var/lib/kubelet/pods/**/*.crt, refusing to widen to / (the whole node filesystem)" .) -}}
{{- end -}}
{{- $static -}}
{{- end -}}
{{- end -}}
