{{/*
Scrape endpoint shared by the ServiceMonitor and the PodMonitor.
Argument: list root monitorValues valuesKey.
*/}}
{{- define "x509-certificate-exporter.scrapeEndpoint" -}}
{{- $root := index . 0 -}}{{- $m := index . 1 -}}{{- $key := index . 2 -}}
{{- $proxy := $root.Values.rbacProxy.enabled -}}
{{- if $m.basicAuth -}}
{{- if $proxy -}}
{{- fail (printf "%s.basicAuth cannot be combined with rbacProxy.enabled: kube-rbac-proxy authenticates scrapes with the Prometheus ServiceAccount's bearer token" $key) -}}
{{- end -}}
{{- if ne $m.scheme "https" -}}
{{- fail (printf "%s.basicAuth requires scheme: https (the chart does not send credentials over plain HTTP)" $key) -}}
{{- end -}}
{{- end -}}
port: metrics
path: /metrics
{{- /* kube-rbac-proxy serves TLS only. */}}
scheme: {{ ternary "https" $m.scheme $proxy }}
interval: {{ $m.scrapeInterval }}
scrapeTimeout: {{ $m.scrapeTimeout }}
{{- if $proxy }}
bearerTokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
{{- end }}
{{- with $m.basicAuth }}
basicAuth:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $m.tlsConfig }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- else }}
{{- if $proxy }}
{{- /* The proxy's certificate is self-signed unless rbacProxy.tls.existingSecretName says otherwise. */}}
tlsConfig:
  insecureSkipVerify: true
{{- end }}
{{- end }}
{{- with $m.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $m.relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
