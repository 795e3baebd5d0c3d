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

{{- define "adq.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
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

{{/*
Arguments every process shares: NATS, bus namespace, cluster settings, logging, metrics,
gRPC TLS and NATS auth (the last two only when enabled).
*/}}
{{- define "adq.commonArgs" -}}
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
{{- if .Values.metrics.enabled }}
- --metrics-port
- {{ .Values.metrics.port | quote }}
{{- end }}
- --api-keys
- /etc/adq/api-keys/{{ .Values.apiKeys.key }}
{{- if .Values.storage.data.type | ne "none" }}
- --data-root
- {{ .Values.storage.data.mountPath | quote }}
{{- end }}
{{- if .Values.grpcTls.enabled }}
- --tls-cert
- /etc/adq/tls/tls.crt
- --tls-key
- /etc/adq/tls/tls.key
{{- if .Values.grpcTls.clientAuth }}
- --tls-client-ca
- /etc/adq/tls/ca.crt
{{- end }}
{{- else }}
{{- /* A non-loopback --host serves plaintext only when told so explicitly (SECURITY.md). */}}
- --plaintext
{{- end }}
{{- if .Values.nats.credentials.enabled }}
- --nats-creds
- /etc/adq/nats-creds/{{ .Values.nats.credentials.key }}
{{- end }}
{{- if .Values.nats.tls.enabled }}
- --nats-tls-ca
- /etc/adq/nats-ca/{{ .Values.nats.tls.caKey }}
{{- if .Values.nats.tls.clientCertSecretName }}
- --nats-tls-cert
- /etc/adq/nats-client/tls.crt
- --nats-tls-key
- /etc/adq/nats-client/tls.key
{{- end }}
{{- end }}
{{- end -}}

{{/* Volumes every pod has: scratch (tmp, cache), API keys, storage, TLS material. */}}
{{- define "adq.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.scratch.tmpSizeLimit }}
- name: cache
  emptyDir:
    sizeLimit: {{ .Values.scratch.cacheSizeLimit }}
- name: api-keys
  secret:
    secretName: {{ include "adq.apiKeysSecret" . }}
{{- with .Values.storage.data }}
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
{{- with .Values.storage.uploads }}
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
{{- if .Values.grpcTls.enabled }}
- name: grpc-tls
  secret:
    secretName: {{ required "grpcTls.secretName is required when grpcTls.enabled" .Values.grpcTls.secretName }}
{{- end }}
{{- if .Values.nats.credentials.enabled }}
- name: nats-creds
  secret:
    secretName: {{ required "nats.credentials.secretName is required when nats.credentials.enabled" .Values.nats.credentials.secretName }}
{{- end }}
{{- if .Values.nats.tls.enabled }}
- name: nats-ca
  secret:
    secretName: {{ required "nats.tls.caSecretName is required when nats.tls.enabled" .Values.nats.tls.caSecretName }}
{{- if .Values.nats.tls.clientCertSecretName }}
- name: nats-client
  secret:
    secretName: {{ .Values.nats.tls.clientCertSecretName }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "adq.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: cache
  mountPath: {{ .Values.scratch.cachePath }}
- name: api-keys
  mountPath: /etc/adq/api-keys
  readOnly: true
{{- if ne .Values.storage.data.type "none" }}
- name: data
  mountPath: {{ .Values.storage.data.mountPath }}
  readOnly: {{ .Values.storage.data.readOnly }}
{{- end }}
{{- if ne .Values.storage.uploads.type "none" }}
- name: uploads
  mountPath: {{ .Values.storage.uploads.mountPath }}
{{- end }}
{{- if .Values.grpcTls.enabled }}
- name: grpc-tls
  mountPath: /etc/adq/tls
  readOnly: true
{{- end }}
{{- if .Values.nats.credentials.enabled }}
- name: nats-creds
  mountPath: /etc/adq/nats-creds
  readOnly: true
{{- end }}
{{- if .Values.nats.tls.enabled }}
- name: nats-ca
  mountPath: /etc/adq/nats-ca
  readOnly: true
{{- if .Values.nats.tls.clientCertSecretName }}
- name: nats-client
  mountPath: /etc/adq/nats-client
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{- define "adq.env" -}}
{{- range $k := list "ADQ_NATS_URL" "ADQ_BUS_NAMESPACE" "ADQ_ACK_WAIT_MS" "ADQ_MAX_ATTEMPTS" "ADQ_LOG_LEVEL" }}
- name: {{ $k }}
  valueFrom:
    configMapKeyRef:
      name: {{ include "adq.fullname" $ }}-config
      key: {{ $k }}
{{- end }}
- name: XDG_CACHE_HOME
  value: {{ .Values.scratch.cachePath | quote }}
- name: TMPDIR
  value: /tmp
{{- if ne .Values.storage.uploads.type "none" }}
- name: ADQ_UPLOAD_ROOT
  value: {{ .Values.storage.uploads.mountPath | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
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
