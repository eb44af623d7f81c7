{{/*
Pre-upgrade migration from releases of the upstream chart. Kubernetes
refuses some in-place changes (a Deployment's or DaemonSet's selector, a
Service's clusterIP), so the hook deletes those objects before Helm
recreates them. Tasks come from upstream's rule table on the previous
chart version (the `helm.sh/chart` label of an object still in the
cluster) and, beyond it, from a live object whose immutable fields differ
from what this release renders.
*/}}

{{/* kubectl image of the hook: digest, else tag, else the cluster's own version. */}}
{{- define "migration.kubectlImage" -}}
{{- $img := .Values.migration.image -}}
{{- $repo := $img.repository -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $img.repository }}{{ end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $repo $img.digest -}}
{{- else if $img.tag -}}
{{- printf "%s:%s" $repo (toString $img.tag) -}}
{{- else -}}
{{- printf "%s:%s" $repo (regexFind "v[0-9]+\\.[0-9]+\\.[0-9]+" .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- end -}}

{{/* The live objects this release would replace, as JSON: service, deployment, daemonsets (name -> object). */}}
{{- define "migration.live" -}}
{{- $ns := include "x509-certificate-exporter.namespace" . -}}
{{- $out := dict "daemonsets" dict -}}
{{- if .Release.IsUpgrade -}}
{{- $full := include "x509-certificate-exporter.fullname" . -}}
{{- with lookup "v1" "Service" $ns $full }}{{ $_ := set $out "service" . }}{{ end -}}
{{- with lookup "apps/v1" "Deployment" $ns (include "x509-certificate-exporter.secretsExporterName" .) }}{{ $_ := set $out "deployment" . }}{{ end -}}
{{- range $name, $_ := .Values.hostPathsExporter.daemonSets -}}
{{- with lookup "apps/v1" "DaemonSet" $ns (printf "%s-%s" $full $name) }}{{ $_ := set $out.daemonsets $name . }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Previous chart version from the first live object labelled with one (`_` back to `+`), or "". */}}
{{- define "migration.prevVersion" -}}
{{- $live := include "migration.live" . | fromJson -}}
{{- $found := "" -}}
{{- $objs := list $live.service $live.deployment -}}
{{- range $_, $ds := $live.daemonsets }}{{ $objs = append $objs $ds }}{{ end -}}
{{- range $objs -}}
{{- if and (not $found) . -}}
{{- with index (default dict (default dict .metadata).labels) "helm.sh/chart" -}}
{{- if hasPrefix "x509-certificate-exporter-" . }}{{ $found = trimPrefix "x509-certificate-exporter-" . | replace "_" "+" }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $found -}}
{{- end -}}

{{/* Does a live workload's selector differ from the one rendered? Argument: list liveObject wantedLabels. */}}
{{- define "migration.selectorDiffers" -}}
{{- $live := index . 0 -}}{{- $want := index . 1 -}}
{{- if $live -}}
{{- $have := default dict (default dict (default dict $live.spec).selector).matchLabels -}}
{{- if ne (toJson $have) (toJson $want) }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/*
Rule table (OR-merged), as upstream's:
  previous < 3.20.0 and this chart < 4.0.0  -> deployment, daemonsets
  previous < 4.0.0                          -> service (if service.create), deployment, daemonsets
  previous < 4.1.0 and this chart >= 4.1.0  -> daemonsets
plus any live workload whose selector differs, and a live Service whose
headless-ness differs. Daemonsets only when some are configured. Prints YAML.
*/}}
{{- define "migration.tasks" -}}
{{- $tasks := dict "deleteService" false "deleteDeployment" false "deleteDaemonsets" false -}}
{{- $live := include "migration.live" . | fromJson -}}
{{- $prev := include "migration.prevVersion" . -}}
{{- if and $prev (regexMatch "^v?[0-9]+\\.[0-9]+\\.[0-9]+" $prev) -}}
{{- if and (semverCompare "<3.20.0-0" $prev) (semverCompare "<4.0.0-0" .Chart.Version) -}}
{{- $_ := set $tasks "deleteDeployment" true }}{{ $_ := set $tasks "deleteDaemonsets" true -}}
{{- end -}}
{{- if semverCompare "<4.0.0-0" $prev -}}
{{- if .Values.service.create }}{{ $_ := set $tasks "deleteService" true }}{{ end -}}
{{- $_ := set $tasks "deleteDeployment" true }}{{ $_ := set $tasks "deleteDaemonsets" true -}}
{{- end -}}
{{- if and (semverCompare "<4.1.0-0" $prev) (semverCompare ">=4.1.0-0" .Chart.Version) -}}
{{- $_ := set $tasks "deleteDaemonsets" true -}}
{{- end -}}
{{- end -}}
{{- $selector := include "x509-certificate-exporter.selectorLabels" . | fromYaml -}}
{{- if include "migration.selectorDiffers" (list $live.deployment (merge (dict "app.kubernetes.io/component" "secrets") $selector)) -}}
{{- $_ := set $tasks "deleteDeployment" true -}}
{{- end -}}
{{- range $name, $ds := $live.daemonsets -}}
{{- if include "migration.selectorDiffers" (list $ds (merge (dict "app.kubernetes.io/component" (printf "host-%s" $name)) $selector)) -}}
{{- $_ := set $tasks "deleteDaemonsets" true -}}
{{- end -}}
{{- end -}}
{{- with $live.service -}}
{{- if and $.Values.service.create (ne (eq (toString (default dict .spec).clusterIP) "None") (not (not $.Values.service.headless))) -}}
{{- $_ := set $tasks "deleteService" true -}}
{{- end -}}
{{- end -}}
{{- if not .Values.hostPathsExporter.daemonSets }}{{ $_ := set $tasks "deleteDaemonsets" false }}{{ end -}}
{{- if not (include "x509-certificate-exporter.deploymentEnabled" .) }}{{ $_ := set $tasks "deleteDeployment" false }}{{ end -}}
{{- toYaml $tasks -}}
{{- end -}}

{{- define "migration.needsHook" -}}
{{- $t := include "migration.tasks" . | fromYaml -}}
{{- if or $t.deleteService $t.deleteDeployment $t.deleteDaemonsets }}true{{ end -}}
{{- end -}}

{{/* The hook Role grants exactly the deletions it performs. */}}
{{- define "migration.roleRules" -}}
{{- $t := include "migration.tasks" . | fromYaml -}}
{{- $rules := list -}}
{{- if $t.deleteService -}}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "services") "verbs" (list "get" "list" "delete")) -}}
{{- end -}}
{{- $apps := list -}}
{{- if $t.deleteDeployment }}{{ $apps = append $apps "deployments" }}{{ end -}}
{{- if $t.deleteDaemonsets }}{{ $apps = append $apps "daemonsets" }}{{ end -}}
{{- if $apps -}}
{{- $rules = append $rules (dict "apiGroups" (list "apps") "resources" $apps "verbs" (list "get" "list" "delete")) -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
