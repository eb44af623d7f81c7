{{/* Names, labels and image reference shared by every template. */}}

{{- define "x509.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "x509.fullname" -}}
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

{{- define "x509.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{- define "x509.selectorLabels" -}}
app.kubernetes.io/name: {{ include "x509.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "x509.labels" -}}
{{ include "x509.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{- with .Values.extraLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* registry/repository@digest, or registry/repository:tag+suffix. */}}
{{- define "x509.image" -}}
{{- $img := .Values.image -}}
{{- $repo := $img.repository -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $img.repository }}{{ end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $repo $img.digest -}}
{{- else -}}
{{- printf "%s:%s%s" $repo (default .Chart.AppVersion $img.tag) $img.tagSuffix -}}
{{- end -}}
{{- end -}}

{{- define "x509.secretsServiceAccount" -}}
{{- if .Values.rbac.create -}}
{{- default (printf "%s-secrets" (include "x509.fullname" .)) .Values.rbac.secretsExporter.serviceAccountName -}}
{{- else -}}
{{- required "rbac.secretsExporter.serviceAccountName is required when rbac.create is false" .Values.rbac.secretsExporter.serviceAccountName -}}
{{- end -}}
{{- end -}}

{{/*
The Deployment (and its ServiceAccount and config) runs for Secrets/ConfigMaps,
for caBundle fields, or both, as upstream v4. Prints "true" or nothing.
*/}}
{{- define "x509.deploymentEnabled" -}}
{{- if or .Values.secretsExporter.enabled .Values.cabundlesExporter.enabled }}true{{ end -}}
{{- end -}}

{{/* RBAC rules of the cabundle source: get/list/watch on exactly the enabled kinds. */}}
{{- define "x509.cabundlesRules" -}}
{{- $r := .Values.cabundlesExporter.resources -}}
{{- if $r.mutating }}
- apiGroups: [admissionregistration.k8s.io]
  resources: [mutatingwebhookconfigurations]
  verbs: [get, list, watch]
{{- end }}
{{- if $r.validating }}
- apiGroups: [admissionregistration.k8s.io]
  resources: [validatingwebhookconfigurations]
  verbs: [get, list, watch]
{{- end }}
{{- if $r.apiservice }}
- apiGroups: [apiregistration.k8s.io]
  resources: [apiservices]
  verbs: [get, list, watch]
{{- end }}
{{- if $r.crdConversion }}
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list, watch]
{{- end }}
{{- end -}}

{{- define "x509.hostPathsServiceAccount" -}}
{{- if .Values.rbac.create -}}
{{- default (printf "%s-hostpaths" (include "x509.fullname" .)) .Values.rbac.hostPathsExporter.serviceAccountName -}}
{{- else -}}
{{- required "rbac.hostPathsExporter.serviceAccountName is required when rbac.create is false" .Values.rbac.hostPathsExporter.serviceAccountName -}}
{{- end -}}
{{- end -}}

{{- define "x509.webConfigEnabled" -}}
{{- if or .Values.webConfiguration .Values.webConfigurationExistingSecret }}true{{ end -}}
{{- end -}}

{{- define "x509.webConfigSecretName" -}}
{{- default (printf "%s-webconfig" (include "x509.fullname" .)) .Values.webConfigurationExistingSecret -}}
{{- end -}}

{{- define "x509.webConfigBody" -}}
{{- if kindIs "string" .Values.webConfiguration -}}
{{- .Values.webConfiguration -}}
{{- else -}}
{{- toYaml .Values.webConfiguration -}}
{{- end -}}
{{- end -}}

{{/*
Literal namespaces with no namespace label rule: RBAC is granted with one
Role per namespace instead of a ClusterRole. Prints "true" or nothing.
*/}}
{{- define "x509.namespacedRbac" -}}
{{- $v := .Values.secretsExporter -}}
{{- $literal := gt (len $v.includeNamespaces) 0 -}}
{{- range $v.includeNamespaces }}{{ if regexMatch "[*?\\[\\]{}]" . }}{{ $literal = false }}{{ end }}{{ end -}}
{{- if and $literal (not $v.includeNamespaceLabels) (not $v.excludeNamespaceLabels) }}true{{ end -}}
{{- end -}}

{{/* RBAC rules of the Secrets exporter, exactly what its source reads. */}}
{{- define "x509.secretsRules" -}}
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

{{/* Scrape settings shared by the ServiceMonitor and the PodMonitor. */}}
{{- define "x509.scrapeEndpoint" -}}
path: /metrics
scheme: {{ .scheme }}
interval: {{ .scrapeInterval }}
scrapeTimeout: {{ .scrapeTimeout }}
{{- with .tlsConfig }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .basicAuth }}
basicAuth:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* One alerting rule. Argument: dict root name expr for severity summary description. */}}
{{- define "x509.alert" -}}
{{- $r := .root.Values.prometheusRules -}}
- alert: {{ printf "%s%s" $r.rulePrefix .name | quote }}
  expr: {{ .expr | quote }}
  for: {{ .for }}
  labels:
    severity: {{ .severity | quote }}
    {{- with $r.alertExtraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    summary: {{ .summary | quote }}
    description: {{ .description | quote }}
    {{- with $r.alertExtraAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
