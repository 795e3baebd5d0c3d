{{/* A `helm test` pod (dict root name args env): restricted, the release's client TLS, its own certificate. */}}
{{- define "adq.testPod" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "adq.fullname" $root }}-test-{{ .name }}
  labels:
    {{- include "adq.labels" (dict "root" $root "component" "test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with $v.image.pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  containers:
    - name: test
      image: {{ include "adq.image" $root | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
        - --server
        - {{ printf "%s-gateway:%v" (include "adq.fullname" $root) $v.gateway.service.port | quote }}
        {{- if $v.grpcTls.enabled }}
        - --tls-ca
        - /etc/adq/tls/ca.crt
        - --tls-server-name
        - {{ printf "%s-gateway" (include "adq.fullname" $root) | quote }}
        {{- if $v.grpcTls.clientAuth }}
        - --tls-cert
        - /etc/adq/tls/tls.crt
        - --tls-key
        - /etc/adq/tls/tls.key
        {{- end }}
        {{- else }}
        - --plaintext
        {{- end }}
      env:
        - name: TMPDIR
          value: /tmp
        {{- with .env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      resources:
        {{- toYaml $v.tests.resources | nindent 8 }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if $v.grpcTls.enabled }}
        - name: grpc-tls
          mountPath: /etc/adq/tls
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: { sizeLimit: 64Mi }
    {{- if $v.grpcTls.enabled }}
    - name: grpc-tls
      secret:
        secretName: {{ include "adq.tlsSecret" (dict "root" $root "component" "test") }}
    {{- end }}
{{- end -}}
