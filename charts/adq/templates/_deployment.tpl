{{/*
One Deployment of the release. Arguments (dict):
  root       the chart context
  component  gateway | coordinator | <stage>
  c          the component's values (port, resources, nodeSelector, tolerations, affinity, …)
  args       the role's `adq serve` arguments (list), before the common ones
  replicas   replicas to set, or nil when an autoscaler owns the field
  gpu        the stage's gpu values when it runs on the GPU pool, else nil
*/}}
{{- define "adq.deployment" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- $name := printf "%s-%s" (include "adq.fullname" $root) .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "adq.labels" . | nindent 4 }}
    {{- if .gpu }}
    adq.dev/gpu: "true"
    {{- end }}
spec:
  {{- if ne (toString .replicas) "" }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      {{- include "adq.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "adq.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/part-of: adq
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/api-keys: {{ toJson $root.Values.apiKeys | sha256sum | trunc 16 }}
        checksum/config: {{ include "adq.configData" $root | sha256sum | trunc 16 }}
        {{- include "adq.podAnnotations" $root | nindent 8 }}
    spec:
      serviceAccountName: {{ include "adq.serviceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $root.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- with $c.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $c.runtimeClassName }}
      runtimeClassName: {{ . }}
      {{- end }}
      # The processes drain on SIGTERM (--drain-ms): a stage finishes its task in flight within
      # drainSeconds or hands it back (NAK, redelivered at once); give them that long plus a margin
      # (the process itself exits at the latest 15 s after its drain).
      terminationGracePeriodSeconds: {{ ternary (add (int (dig "drainSeconds" 20 $c)) 20) 30 (hasKey $root.Values.stages .component) }}
      {{- $nodeSelector := $c.nodeSelector -}}
      {{- $tolerations := $c.tolerations -}}
      {{- $affinity := $c.affinity -}}
      {{- if .gpu }}
      {{- $nodeSelector = merge (deepCopy .gpu.nodeSelector) $c.nodeSelector -}}
      {{- $tolerations = concat .gpu.tolerations $c.tolerations -}}
      {{- $affinity = .gpu.affinity | default $c.affinity -}}
      {{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "adq.topologySpread" . | nindent 6 }}
      containers:
        - name: adq
          image: {{ include "adq.imageRef" (dict "root" $root "image" ($c.image | default $root.Values.image)) | quote }}
          imagePullPolicy: {{ (and $c.image $c.image.repository $c.image.pullPolicy) | default $root.Values.image.pullPolicy }}
          # The last log lines become the termination message (`kubectl describe pod`).
          terminationMessagePolicy: FallbackToLogsOnError
          args:
            {{- toYaml .args | nindent 12 }}
            {{- include "adq.commonArgs" (dict "root" $root "component" .component) | nindent 12 }}
            {{- with $c.extraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            {{- include "adq.env" (dict "root" $root "c" $c) | trim | nindent 12 }}
          ports:
            {{- include "adq.ports" (dict "root" $root "port" $c.port) | nindent 12 }}
          {{- include "adq.probes" (dict "root" $root "port" $c.port) | nindent 10 }}
          resources:
            {{- $res := deepCopy $c.resources -}}
            {{- if .gpu }}
            {{- $limits := merge (dict .gpu.resourceName (toString .gpu.count)) ($res.limits | default dict) -}}
            {{- $_ := set $res "limits" $limits -}}
            {{- end }}
            {{- toYaml $res | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "adq.volumeMounts" (dict "root" $root "component" .component "c" $c) | nindent 12 }}
      volumes:
        {{- include "adq.volumes" (dict "root" $root "component" .component "c" $c) | nindent 8 }}
{{- end -}}
