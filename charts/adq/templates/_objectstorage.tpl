{{/*
Object storage and artifact durability (values `s3` and `artifacts`; docs/object-storage.md):
the standard AWS variables, the per-tenant grant credentials, and the artifact flags.
*/}}

{{/* `adq serve` flags of the artifact store (every process: JetStream refuses a bucket re-created differently) and result retention (not stage processes). */}}
{{- define "adq.artifactArgs" -}}
{{- $v := .root.Values -}}
{{- if gt (int $v.artifacts.replicas) 1 }}
- --artifact-replicas
- {{ $v.artifacts.replicas | quote }}
{{- end }}
{{- if gt (int64 $v.artifacts.maxBytes) 0 }}
- --artifact-max-bytes
- {{ $v.artifacts.maxBytes | int64 | toString | quote }}
{{- end }}
{{- if and (gt (float64 $v.artifacts.resultRetentionHours) 0.0) (not (hasKey $v.stages .component)) }}
- --result-retention-hours
- {{ $v.artifacts.resultRetentionHours | toString | quote }}
{{- end }}
{{- end -}}

{{/* AWS environment of a pod. */}}
{{- define "adq.s3Env" -}}
{{- $s3 := .root.Values.s3 -}}
{{- with $s3.endpoint }}
- name: AWS_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
{{- with $s3.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- with $s3.credentialsSecret }}
{{- range $k := list "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY" }}
- name: {{ $k }}
  valueFrom:
    secretKeyRef:
      name: {{ $s3.credentialsSecret }}
      key: {{ $k }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "adq.s3Volumes" -}}
{{- with .root.Values.s3.grantCredentialsSecret }}
- name: s3-grants
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}

{{- define "adq.s3VolumeMounts" -}}
{{- if .root.Values.s3.grantCredentialsSecret }}
- name: s3-grants
  mountPath: /etc/adq/s3-grants
  readOnly: true
{{- end }}
{{- end -}}
