{{/*
Pod template shared by the Deployment and every DaemonSet.
Argument: dict
  root       top-level context
  c          component settings (secretsExporter or an effective DaemonSet entry)
  component  value of app.kubernetes.io/component
  configMap  name of the ConfigMap holding config.yaml
  config     rendered config.yaml (hashed into an annotation)
  sa         ServiceAccount name
  hostDirs   host directories to mount read-only under /mnt/host
*/}}
{{- define "x509.podTemplate" -}}
{{- $root := .root -}}{{- $c := .c -}}{{- $v := $root.Values -}}
{{- $web := include "x509.webConfigEnabled" $root -}}
metadata:
  labels:
    {{- include "x509.selectorLabels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with .dsName }}
    x509-certificate-exporter/daemonset: {{ . }}
    {{- end }}
    {{- with merge (deepCopy (default dict $c.podExtraLabels)) (deepCopy $v.podExtraLabels) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ .config | sha256sum }}
    {{- if and $v.webConfiguration (not $v.webConfigurationExistingSecret) }}
    checksum/webconfig: {{ include "x509.webConfigBody" $root | sha256sum }}
    {{- end }}
    {{- with merge (deepCopy (default dict $c.podAnnotations)) (deepCopy $v.podAnnotations) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ .sa }}
  automountServiceAccountToken: {{ .automountToken }}
  {{- with default $v.priorityClassName $c.priorityClassName }}
  priorityClassName: {{ . }}
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
    - name: x509-certificate-exporter
      image: {{ include "x509.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        - --config
        - /etc/x509-certificate-exporter/config.yaml
        {{- with $c.extraArgs }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: metrics
          containerPort: {{ int $v.podListenPort }}
          protocol: TCP
        {{- if $web }}
        - name: probes
          containerPort: {{ int $v.probeListenPort }}
          protocol: TCP
        {{- end }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: {{ ternary "probes" "metrics" (not (empty $web)) }}
        {{- with $c.livenessProbe }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: {{ ternary "probes" "metrics" (not (empty $web)) }}
        {{- with $c.readinessProbe }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
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
        - name: webconfig
          mountPath: /etc/x509-certificate-exporter-web
          readOnly: true
        {{- end }}
        {{- range .hostDirs }}
        - name: {{ printf "host-%s" (sha1sum . | trunc 12) }}
          mountPath: {{ include "x509.hostPath" . }}
          readOnly: true
        {{- end }}
        {{- with concat (default list $c.extraVolumeMounts) (default list $v.extraVolumeMounts) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ .configMap }}
    {{- if $web }}
    - name: webconfig
      secret:
        secretName: {{ include "x509.webConfigSecretName" $root }}
        items:
          - key: webconfig.yaml
            path: webconfig.yaml
    {{- end }}
    {{- range .hostDirs }}
    - name: {{ printf "host-%s" (sha1sum . | trunc 12) }}
      hostPath:
        path: {{ . }}
        {{- with $c.hostPathVolumeType }}
        type: {{ . }}
        {{- end }}
    {{- end }}
    {{- with concat (default list $c.extraVolumes) (default list $v.extraVolumes) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
