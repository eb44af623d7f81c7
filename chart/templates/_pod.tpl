{{/*
Pod template shared by the Deployment and every DaemonSet.
Argument: dict
  root       top-level context
  c          component settings (secretsExporter or a DaemonSet's effective settings)
  component  value of app.kubernetes.io/component
  configMap  name of the ConfigMap holding config.yaml
  config     the rendered config.yaml (hashed into an annotation)
  sa         ServiceAccount name
  hostDirs   host directories mounted read-only under /mnt/host
  token      mount the ServiceAccount token
*/}}
{{- define "x509-certificate-exporter.podTemplate" -}}
{{- $root := .root -}}{{- $c := .c -}}{{- $v := $root.Values -}}
{{- $web := include "x509-certificate-exporter.webConfigEnabled" $root -}}
{{- $probePort := int (include "x509-certificate-exporter.probeListenPort" $root) -}}
{{- $proxy := $v.rbacProxy.enabled -}}
metadata:
  labels:
    {{- include "x509-certificate-exporter.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $v.podExtraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $c.podExtraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ .config | sha256sum }}
    {{- if and $v.webConfiguration (not $v.webConfigurationExistingSecret) }}
    checksum/webconfig: {{ include "x509-certificate-exporter.webConfigBody" $root | sha256sum }}
    {{- end }}
    {{- with mustMerge (deepCopy (default dict $c.podAnnotations)) (deepCopy (default dict $v.podAnnotations)) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ .sa }}
  automountServiceAccountToken: {{ or .token $proxy }}
  restartPolicy: {{ default "Always" $c.restartPolicy }}
  {{- with default $v.priorityClassName $c.priorityClassName }}
  priorityClassName: {{ . | quote }}
  {{- end }}
  {{- if $v.hostNetwork }}
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  {{- end }}
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ if kindIs "map" . }}{{ get . "name" }}{{ else }}{{ . }}{{ end }}
    {{- end }}
  {{- end }}
  {{- with $c.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ $root.Chart.Name }}
      image: {{ include "x509-certificate-exporter.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        - --config
        - /etc/x509-certificate-exporter/config.yaml
        {{- with $c.extraArgs }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        {{- if not $proxy }}
        - name: metrics
          containerPort: {{ int $v.podListenPort }}
          protocol: TCP
        {{- end }}
        {{- if gt $probePort 0 }}
        - name: probe
          containerPort: {{ $probePort }}
          protocol: TCP
        {{- end }}
      {{- $port := ternary "probe" "metrics" (gt $probePort 0) }}
      livenessProbe:
        {{- with omit (default dict $c.livenessProbe) "httpGet" }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        httpGet:
          path: /healthz
          port: {{ $port }}
      readinessProbe:
        {{- with omit (default dict $c.readinessProbe) "httpGet" }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        httpGet:
          path: /readyz
          port: {{ $port }}
      {{- with $c.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.env }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: /etc/x509-certificate-exporter
          readOnly: true
        {{- if $web }}
        - name: web-configuration
          mountPath: /etc/x509-certificate-exporter-web
          readOnly: true
        {{- end }}
        {{- range .hostDirs }}
        - name: {{ printf "host-%s" (sha1sum . | trunc 12) }}
          mountPath: {{ include "x509-certificate-exporter.hostPath" . }}
          readOnly: true
        {{- end }}
        {{- range concat (default list $c.extraVolumeMounts) (default list $v.extraVolumeMounts) }}
        - {{ tpl (toYaml .) $root | nindent 10 | trim }}
        {{- end }}
    {{- if $proxy }}
    - name: kube-rbac-proxy
      image: {{ include "x509-certificate-exporter.rbacProxy.image" $root }}
      imagePullPolicy: {{ $v.rbacProxy.image.pullPolicy }}
      args:
        - {{ printf "--upstream=http://127.0.0.1:%d/" (int $v.rbacProxy.upstreamListenPort) }}
        - {{ printf "--secure-listen-address=:%d" (int $v.podListenPort) }}
        - --tls-cert-file=/etc/rbac-proxy/tls/tls.crt
        - --tls-private-key-file=/etc/rbac-proxy/tls/tls.key
      ports:
        - name: metrics
          containerPort: {{ int $v.podListenPort }}
          protocol: TCP
      {{- with $v.rbacProxy.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.rbacProxy.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: rbac-proxy-tls
          mountPath: /etc/rbac-proxy/tls
          readOnly: true
    {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ .configMap }}
    {{- if $web }}
    - name: web-configuration
      secret:
        secretName: {{ default (include "x509-certificate-exporter.webConfigurationSecretName" $root) $v.webConfigurationExistingSecret }}
        items:
          - key: webconfig.yaml
            path: webconfig.yaml
    {{- end }}
    {{- if $proxy }}
    - name: rbac-proxy-tls
      secret:
        secretName: {{ default (include "x509-certificate-exporter.rbacProxy.tlsSecretName" $root) $v.rbacProxy.tls.existingSecretName }}
    {{- end }}
    {{- range .hostDirs }}
    - name: {{ printf "host-%s" (sha1sum . | trunc 12) }}
      hostPath:
        path: {{ . }}
        {{- with $c.hostPathVolumeType }}
        type: {{ . }}
        {{- end }}
    {{- end }}
    {{- range concat (default list $c.extraVolumes) (default list $v.extraVolumes) }}
    - {{ tpl (toYaml .) $root | nindent 6 | trim }}
    {{- end }}
{{- end -}}
