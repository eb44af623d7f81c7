{{/*
One alerting rule. Argument: dict root name expr for severity summary description.
prometheusRules.alertExprOverrides / alertForOverrides, keyed by the bare
name, replace `expr` and `for` whole; rulePrefix joins the name with a space.
*/}}
{{- define "x509-certificate-exporter.alert" -}}
{{- $r := .root.Values.prometheusRules -}}
- alert: {{ printf "%s %s" (default "" $r.rulePrefix) .name | trim | squote }}
  expr: {{ get (default dict $r.alertExprOverrides) .name | default .expr | quote }}
  for: {{ get (default dict $r.alertForOverrides) .name | default .for }}
  labels:
    severity: {{ .severity }}
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
