{{/* Chart name, full name (object prefix), labels. */}}
{{- define "adq.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "adq.fullname" -}}
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

{{- define "adq.selectorLabels" -}}
app.kubernetes.io/name: {{ include "adq.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "adq.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: adq
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "adq.selectorLabels" . }}
{{- end -}}

{{/* Labels shared by every pod of the release (NetworkPolicy peers). */}}
{{- define "adq.releaseLabels" -}}
app.kubernetes.io/name: {{ include "adq.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The chart's image: by digest when one is given, else by tag (default: appVersion). */}}
{{- define "adq.image" -}}
{{- include "adq.imageRef" (dict "root" . "image" .Values.image) -}}
{{- end -}}

{{/* An image reference (dict root image); an empty repository means the chart's image. */}}
{{- define "adq.imageRef" -}}
{{- $i := .image -}}
{{- if not $i.repository }}{{ $i = .root.Values.image }}{{ end -}}
{{- if $i.digest -}}
{{- printf "%s@%s" $i.repository $i.digest -}}
{{- else -}}
{{- printf "%s:%s" $i.repository (default .root.Chart.AppVersion $i.tag) -}}
{{- end -}}
{{- end -}}

{{- define "adq.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "adq.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "adq.apiKeysSecret" -}}
{{- default (printf "%s-api-keys" (include "adq.fullname" .)) .Values.apiKeys.existingSecret -}}
{{- end -}}

{{/* Minimum replicas of a stage: explicit, else 0 on GPU (scale to zero), 1 on CPU. */}}
{{- define "adq.stageMinReplicas" -}}
{{- if kindIs "invalid" .stage.autoscaling.minReplicas -}}
{{- if .stage.gpu.enabled -}}0{{- else -}}1{{- end -}}
{{- else -}}
{{- .stage.autoscaling.minReplicas -}}
{{- end -}}
{{- end -}}

{{- define "adq.stageNames" -}}features binning scoring sampling assemble{{- end -}}

{{/* The role's NATS credentials Secret (dict root component). */}}
{{- define "adq.natsSecret" -}}
{{- $s := index .root.Values.nats.auth.secrets .component -}}
{{- default (printf "%s-nats-%s" (include "adq.fullname" .root) .component) $s -}}
{{- end -}}

{{/* The role's NATS user (deploy/nats/adq-auth.conf): the coordinator shares the gateway's. */}}
{{- define "adq.natsUser" -}}
{{- if has .component (list "gateway" "coordinator") -}}
{{- printf "%s-gateway" .root.Values.busNamespace -}}
{{- else -}}
{{- printf "%s-worker-%s" .root.Values.busNamespace .component -}}
{{- end -}}
{{- end -}}

{{/* The role's gRPC TLS Secret (dict root component). */}}
{{- define "adq.tlsSecret" -}}
{{- $s := index .root.Values.grpcTls.secrets .component -}}
{{- default (printf "%s-%s-tls" (include "adq.fullname" .root) .component) $s -}}
{{- end -}}

{{/* The record-key Secret, or "" when job records go unsigned. */}}
{{- define "adq.recordKeySecret" -}}
{{- if .Values.recordKey.existingSecret -}}
{{- .Values.recordKey.existingSecret -}}
{{- else if .Values.recordKey.create -}}
{{- printf "%s-record-key" (include "adq.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* True (non-empty) when the role holds job records: the gateway and the coordinator. */}}
{{- define "adq.holdsRecords" -}}
{{- if has .component (list "gateway" "coordinator") }}true{{ end -}}
{{- end -}}

{{/*
Arguments every `adq serve` process shares (dict root component): NATS, bus namespace,
cluster settings, logging, metrics, the role's own gRPC certificate and NATS identity, and the
record key for the roles that hold job records.
*/}}
{{- define "adq.commonArgs" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
- --nats
- $(ADQ_NATS_URL)
- --namespace
- $(ADQ_BUS_NAMESPACE)
- --ack-wait-ms
- $(ADQ_ACK_WAIT_MS)
- --max-attempts
- $(ADQ_MAX_ATTEMPTS)
- --host
- "0.0.0.0"
- --log-level
- $(ADQ_LOG_LEVEL)
{{- if $v.metrics.enabled }}
- --metrics-port
- {{ $v.metrics.port | quote }}
{{- end }}
- --api-keys
- /etc/adq/api-keys/{{ $v.apiKeys.key }}
{{- if $v.storage.data.type | ne "none" }}
- --data-root
- {{ $v.storage.data.mountPath | quote }}
{{- end }}
{{- if $v.grpcTls.enabled }}
- --tls-cert
- /etc/adq/tls/tls.crt
- --tls-key
- /etc/adq/tls/tls.key
{{- if $v.grpcTls.clientAuth }}
- --tls-client-ca
- /etc/adq/tls/ca.crt
{{- end }}
{{- else }}
{{- /* A non-loopback --host serves plaintext only when told so explicitly (SECURITY.md). */}}
- --plaintext
{{- end }}
{{- if eq $v.nats.auth.type "creds" }}
- --nats-creds
- /etc/adq/nats-auth/{{ $v.nats.auth.credsKey }}
{{- else if eq $v.nats.auth.type "password" }}
- --nats-user
- {{ include "adq.natsUser" . | quote }}
- --nats-password-file
- /etc/adq/nats-auth/{{ $v.nats.auth.passwordKey }}
{{- else }}
{{- /* No NATS credentials: the processes refuse that unless told explicitly (issue 28). */}}
- --insecure-nats
{{- end }}
{{- if $v.nats.tls.enabled }}
- --nats-tls-ca
- /etc/adq/nats-ca/{{ $v.nats.tls.caKey }}
{{- if $v.nats.tls.clientCertSecretName }}
- --nats-tls-cert
- /etc/adq/nats-client/tls.crt
- --nats-tls-key
- /etc/adq/nats-client/tls.key
{{- end }}
{{- end }}
{{- if and (include "adq.holdsRecords" .) (include "adq.recordKeySecret" $root) }}
- --record-key-file
- /etc/adq/record-key/{{ $v.recordKey.key }}
{{- end }}
{{- include "adq.artifactArgs" . }}
{{- end -}}

{{/* Volumes of an `adq serve` pod (dict root component c): scratch, API keys, storage, and its own secrets. */}}
{{- define "adq.volumes" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $v.scratch.tmpSizeLimit }}
- name: cache
  emptyDir:
    sizeLimit: {{ $v.scratch.cacheSizeLimit }}
- name: api-keys
  secret:
    secretName: {{ include "adq.apiKeysSecret" $root }}
{{- include "adq.s3Volumes" . }}
{{- with $v.storage.data }}
{{- if eq .type "pvc" }}
- name: data
  persistentVolumeClaim:
    claimName: {{ .existingClaim }}
    readOnly: {{ .readOnly }}
{{- else if eq .type "hostPath" }}
- name: data
  hostPath:
    path: {{ .hostPath }}
    type: Directory
{{- end }}
{{- end }}
{{- with $v.storage.uploads }}
{{- if eq .type "pvc" }}
- name: uploads
  persistentVolumeClaim:
    claimName: {{ .existingClaim }}
{{- else if eq .type "hostPath" }}
- name: uploads
  hostPath:
    path: {{ .hostPath }}
    type: DirectoryOrCreate
{{- end }}
{{- end }}
{{- if $v.grpcTls.enabled }}
- name: grpc-tls
  secret:
    secretName: {{ include "adq.tlsSecret" . }}
{{- end }}
{{- if ne $v.nats.auth.type "none" }}
- name: nats-auth
  secret:
    secretName: {{ include "adq.natsSecret" . }}
    items:
      - key: {{ ternary $v.nats.auth.credsKey $v.nats.auth.passwordKey (eq $v.nats.auth.type "creds") }}
        path: {{ ternary $v.nats.auth.credsKey $v.nats.auth.passwordKey (eq $v.nats.auth.type "creds") }}
{{- end }}
{{- if $v.nats.tls.enabled }}
- name: nats-ca
  secret:
    secretName: {{ required "nats.tls.caSecretName is required when nats.tls.enabled" $v.nats.tls.caSecretName }}
{{- if $v.nats.tls.clientCertSecretName }}
- name: nats-client
  secret:
    secretName: {{ $v.nats.tls.clientCertSecretName }}
{{- end }}
{{- end }}
{{- if and (include "adq.holdsRecords" .) (include "adq.recordKeySecret" $root) }}
- name: record-key
  secret:
    secretName: {{ include "adq.recordKeySecret" $root }}
    items:
      - key: {{ $v.recordKey.key }}
        path: {{ $v.recordKey.key }}
{{- end }}
{{- with .c.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "adq.volumeMounts" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
- name: tmp
  mountPath: /tmp
- name: cache
  mountPath: {{ $v.scratch.cachePath }}
- name: api-keys
  mountPath: /etc/adq/api-keys
  readOnly: true
{{- include "adq.s3VolumeMounts" . }}
{{- if ne $v.storage.data.type "none" }}
- name: data
  mountPath: {{ $v.storage.data.mountPath }}
  readOnly: {{ $v.storage.data.readOnly }}
{{- end }}
{{- if ne $v.storage.uploads.type "none" }}
- name: uploads
  mountPath: {{ $v.storage.uploads.mountPath }}
{{- end }}
{{- if $v.grpcTls.enabled }}
- name: grpc-tls
  mountPath: /etc/adq/tls
  readOnly: true
{{- end }}
{{- if ne $v.nats.auth.type "none" }}
- name: nats-auth
  mountPath: /etc/adq/nats-auth
  readOnly: true
{{- end }}
{{- if $v.nats.tls.enabled }}
- name: nats-ca
  mountPath: /etc/adq/nats-ca
  readOnly: true
{{- if $v.nats.tls.clientCertSecretName }}
- name: nats-client
  mountPath: /etc/adq/nats-client
  readOnly: true
{{- end }}
{{- end }}
{{- if and (include "adq.holdsRecords" .) (include "adq.recordKeySecret" $root) }}
- name: record-key
  mountPath: /etc/adq/record-key
  readOnly: true
{{- end }}
{{- with .c.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "adq.env" -}}
{{- $root := .root -}}
{{- range $k := list "ADQ_NATS_URL" "ADQ_BUS_NAMESPACE" "ADQ_ACK_WAIT_MS" "ADQ_MAX_ATTEMPTS" "ADQ_LOG_LEVEL" }}
- name: {{ $k }}
  valueFrom:
    configMapKeyRef:
      name: {{ include "adq.fullname" $root }}-config
      key: {{ $k }}
{{- end }}
- name: XDG_CACHE_HOME
  value: {{ $root.Values.scratch.cachePath | quote }}
- name: TMPDIR
  value: /tmp
{{- if ne $root.Values.storage.uploads.type "none" }}
- name: ADQ_UPLOAD_ROOT
  value: {{ $root.Values.storage.uploads.mountPath | quote }}
{{- end }}
{{- include "adq.s3Env" . }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .c.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Refuses a release that would run NATS without authentication or gRPC without TLS unless
security.acknowledgeInsecure says so; names what is missing.
*/}}
{{- define "adq.validate" -}}
{{- $v := .Values -}}
{{- if not $v.security.acknowledgeInsecure -}}
{{- if eq $v.nats.auth.type "none" -}}
{{- fail "nats.auth.type is none: every pod would connect to NATS without credentials. Give each role its own identity (nats.auth.type creds|password, deploy/nats/adq-auth.conf) or set security.acknowledgeInsecure=true" -}}
{{- end -}}
{{- if not $v.grpcTls.enabled -}}
{{- fail "grpcTls.enabled is false: every gRPC port, the public API included, would be plaintext. Enable grpcTls (grpcTls.certManager or per-role Secrets) or set security.acknowledgeInsecure=true" -}}
{{- end -}}
{{- end -}}
{{- if and $v.grpcTls.certManager.enabled (not $v.grpcTls.certManager.issuerRef.name) -}}
{{- fail "grpcTls.certManager.issuerRef.name is required when grpcTls.certManager.enabled" -}}
{{- end -}}
{{- end -}}

{{/* gRPC health probes (TCP when the server speaks TLS: the kubelet's gRPC probe cannot). */}}
{{- define "adq.probes" -}}
{{- $p := .root.Values.probes -}}
{{- $check := dict "grpc" (dict "port" .port "service" "") -}}
{{- if .root.Values.grpcTls.enabled }}{{ $check = dict "tcpSocket" (dict "port" .port) }}{{ end -}}
startupProbe:
  {{- toYaml $check | nindent 2 }}
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
readinessProbe:
  {{- toYaml $check | nindent 2 }}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
livenessProbe:
  {{- toYaml $check | nindent 2 }}
  initialDelaySeconds: {{ $p.liveness.initialDelaySeconds }}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
{{- end -}}

{{- define "adq.ports" -}}
- name: grpc
  containerPort: {{ .port }}
  protocol: TCP
{{- if .root.Values.metrics.enabled }}
- name: metrics
  containerPort: {{ .root.Values.metrics.port }}
  protocol: TCP
{{- end }}
{{- end -}}

{{- define "adq.podAnnotations" -}}
{{- if .Values.metrics.enabled -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "adq.topologySpread" -}}
{{- if .root.Values.topologySpread.enabled -}}
topologySpreadConstraints:
  {{- range $key := list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: {{ $.root.Values.topologySpread.maxSkew }}
    topologyKey: {{ $key }}
    whenUnsatisfiable: {{ $.root.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "adq.selectorLabels" (dict "root" $.root "component" $.component) | nindent 8 }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "adq.configData" -}}
ADQ_NATS_URL: {{ .Values.nats.url | quote }}
ADQ_BUS_NAMESPACE: {{ .Values.busNamespace | quote }}
ADQ_ACK_WAIT_MS: {{ .Values.cluster.ackWaitMs | quote }}
ADQ_MAX_ATTEMPTS: {{ .Values.cluster.maxAttempts | quote }}
ADQ_LOG_LEVEL: {{ .Values.logLevel | quote }}
{{- end -}}

{{- define "adq.metricsFrom" -}}
{{- if .Values.networkPolicy.metricsFrom -}}
from:
  {{- toYaml .Values.networkPolicy.metricsFrom | nindent 2 }}
{{- else -}}
from:
  - namespaceSelector: {}
{{- end -}}
{{- end -}}

{{/* Egress of the `adq serve` pods: DNS, NATS, this release's pods, `extraRules`. */}}
{{- define "adq.servingEgress" -}}
{{- $eg := .Values.networkPolicy.egress -}}
- to:
    {{- toYaml $eg.dnsTo | nindent 4 }}
  ports:
    - { port: 53, protocol: UDP }
    - { port: 53, protocol: TCP }
- ports:
    {{- range $eg.natsPorts }}
    - { port: {{ . }}, protocol: TCP }
    {{- end }}
  {{- with $eg.natsTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- to:
    - podSelector:
        matchLabels:
          {{- include "adq.releaseLabels" . | nindent 10 }}
{{- with $eg.extraRules }}
{{ toYaml . }}
{{- end }}
{{- end -}}
