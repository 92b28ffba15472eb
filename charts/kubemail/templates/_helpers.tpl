{{/* Names */}}
{{- define "kubemail.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubemail.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels; call with (dict "ctx" $ "component" "smtp") */}}
{{- define "kubemail.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubemail.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kubemail.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
{{ include "kubemail.selectorLabels" . }}
app.kubernetes.io/part-of: kubemail
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end -}}

{{- define "kubemail.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The fixed listener table: container ports are unprivileged; Service ports come from values. */}}
{{- define "kubemail.listeners" -}}
smtp:
  - {name: mx, containerPort: 2525, env: KUBEMAIL_SMTP_MX_PORT, implicitTLS: false}
  - {name: submission, containerPort: 2587, env: KUBEMAIL_SMTP_SUBMISSION_PORT, implicitTLS: false}
  - {name: submissions, containerPort: 2465, env: KUBEMAIL_SMTP_SUBMISSIONS_PORT, implicitTLS: true}
imap:
  - {name: imap, containerPort: 1143, env: KUBEMAIL_IMAP_PORT, implicitTLS: false}
  - {name: imaps, containerPort: 1993, env: KUBEMAIL_IMAP_TLS_PORT, implicitTLS: true}
pop3:
  - {name: pop3, containerPort: 1110, env: KUBEMAIL_POP3_PORT, implicitTLS: false}
  - {name: pop3s, containerPort: 1995, env: KUBEMAIL_POP3_TLS_PORT, implicitTLS: true}
{{- end -}}

{{/* Secrets */}}
{{- define "kubemail.tlsSecretName" -}}
{{- if .Values.tls.certManager.enabled -}}
{{- printf "%s-tls" (include "kubemail.fullname" .) -}}
{{- else if .Values.tls.existingSecret -}}
{{- .Values.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "kubemail.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "kubemail.redisSecretName" -}}
{{- if .Values.redis.enabled -}}
{{- default (printf "%s-redis" (include "kubemail.fullname" .)) .Values.redis.auth.existingSecret -}}
{{- else -}}
{{- .Values.redis.external.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "kubemail.redisPasswordKey" -}}
{{- if .Values.redis.enabled -}}{{ .Values.redis.auth.passwordKey }}{{- else -}}{{ .Values.redis.external.passwordKey }}{{- end -}}
{{- end -}}

{{- define "kubemail.s3SecretName" -}}
{{- if .Values.minio.enabled -}}
{{- default (printf "%s-minio" (include "kubemail.fullname" .)) .Values.minio.auth.existingSecret -}}
{{- else -}}
{{- required "minio.external.existingSecret is required when minio.enabled=false" .Values.minio.external.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* The value (base64) of one chart-managed credential, in this order: the explicit value (.value); the
     value in the existing Secret (upgrades keep generated passwords); a new random one, but only where
     Helm talks to a cluster (lookup answers: helm install/upgrade, Flux) or generateCredentials is set.
     Under `helm template` (Argo CD) lookup answers nothing, and a generated value would change on every
     render: fail instead, naming the values that fix it (.hint).
     Call with (dict "ctx" $ "name" <Secret> "key" <key> "length" n "value" <explicit> "hint" <text>). */}}
{{- define "kubemail.secretValue" -}}
{{- $ns := .ctx.Release.Namespace -}}
{{- $secret := lookup "v1" "Secret" $ns .name -}}
{{- if .value -}}
{{- .value | toString | b64enc -}}
{{- else if and $secret $secret.data (hasKey $secret.data .key) -}}
{{- index $secret.data .key -}}
{{- else if or .ctx.Values.generateCredentials (include "kubemail.clusterReachable" .ctx) -}}
{{- randAlphaNum (int .length) | b64enc -}}
{{- else -}}
{{- fail (printf "kubemail: no value for %s in Secret %s: this render cannot see the cluster (helm template, Argo CD), so a generated credential would change on every render. Set %s, or generateCredentials=true for a throwaway render." .key .name .hint) -}}
{{- end -}}
{{- end -}}

{{/* "true" when lookup reaches a cluster: listing Secrets in the release namespace returns a (possibly
     empty) SecretList there, and an empty map under `helm template` / client-side --dry-run. Helm itself
     stores releases as Secrets there, so whoever installs may list them. */}}
{{- define "kubemail.clusterReachable" -}}
{{- if lookup "v1" "Secret" .Release.Namespace "" }}true{{ end -}}
{{- end -}}

{{/* Bytes of a Kubernetes memory quantity (e.g. 1Gi, 512Mi, 1G, 1048576). */}}
{{- define "kubemail.memoryBytes" -}}
{{- $q := toString . -}}
{{- $num := regexFind `^[0-9]+(\.[0-9]+)?` $q -}}
{{- $suffix := trimPrefix $num $q -}}
{{- $units := dict "" 1 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 -}}
{{- if or (not $num) (not (hasKey $units $suffix)) -}}
{{- fail (printf "kubemail: cannot read the memory quantity %q" $q) -}}
{{- end -}}
{{- mulf (float64 $num) (index $units $suffix) | floor | int64 -}}
{{- end -}}

{{/* Redis maxmemory in bytes: redis.maxmemoryPercent of the container memory limit. */}}
{{- define "kubemail.redisMaxmemory" -}}
{{- $v := .Values.redis -}}
{{- $limit := dig "limits" "memory" "" $v.resources -}}
{{- if not $limit -}}
{{- fail "kubemail: redis.resources.limits.memory is required (Redis maxmemory is derived from it)" -}}
{{- end -}}
{{- $pct := int $v.maxmemoryPercent -}}
{{- if or (lt $pct 10) (gt $pct 95) -}}
{{- fail "kubemail: redis.maxmemoryPercent must be between 10 and 95 (headroom below the memory limit)" -}}
{{- end -}}
{{- div (mul (include "kubemail.memoryBytes" $limit | int64) $pct) 100 -}}
{{- end -}}

{{/* preStop sleep and the grace period check of one Deployment: (dict "v" <values> "drain" <seconds>
     the service takes after SIGTERM> "component" name). Emits the container's lifecycle block. */}}
{{- define "kubemail.preStop" -}}
{{- $pre := int .v.preStopSeconds -}}
{{- if le (int .v.terminationGracePeriodSeconds) (add $pre .drain) -}}
{{- fail (printf "kubemail: %s.terminationGracePeriodSeconds (%d) must exceed preStopSeconds (%d) + the %d s the service drains after SIGTERM" .component (int .v.terminationGracePeriodSeconds) $pre (int .drain)) -}}
{{- end -}}
{{- if gt $pre 0 }}
lifecycle:
  preStop:
    exec:
      command: ["sleep", {{ $pre | toString | quote }}]
{{- end }}
{{- end -}}

{{/* Seconds each service drains after SIGTERM (the stop() grace of services/<name>/server.py). */}}
{{- define "kubemail.drainSeconds" -}}
{{- $d := dict "smtp" 20 "imap" 20 "pop3" 10 "metadata" 10 "relay" 30 "web" 10 -}}
{{- index $d . -}}
{{- end -}}

{{/* Environment */}}

{{- define "kubemail.commonEnv" -}}
- name: KUBEMAIL_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: KUBEMAIL_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
- name: KUBEMAIL_METRICS_PORT
  value: {{ .Values.metricsPort | quote }}
- name: KUBEMAIL_HOSTNAME
  value: {{ .Values.hostname | quote }}
- name: KUBEMAIL_GRPC_TIMEOUT
  value: {{ .Values.grpcTimeout | toString | quote }}
# prometheus-client reads this at import: no `_created` series next to counters and histograms.
- name: PROMETHEUS_DISABLE_CREATED_SERIES
  value: "True"
{{- end -}}

{{/* Clients resolve the headless Service (one A record per ready metadata pod) and spread calls
     over all of them (round_robin in services/common/grpcclient.py); a ClusterIP would pin each
     client's single HTTP/2 connection to one pod. */}}
{{- define "kubemail.metadataHeadlessName" -}}
{{- printf "%s-metadata-headless" (include "kubemail.fullname" .) -}}
{{- end -}}

{{- define "kubemail.metadataAddr" -}}
{{- printf "dns:///%s.%s.svc.%s:%d" (include "kubemail.metadataHeadlessName" .) .Release.Namespace .Values.clusterDomain (int .Values.metadata.port) -}}
{{- end -}}

{{/* Scheduling of one pod template: call with (dict "ctx" $ "v" <component values> "component" "smtp").
     Topology spread constraints without a labelSelector get the component's selector labels. */}}
{{- define "kubemail.scheduling" -}}
{{- $v := .v -}}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.topologySpreadConstraints }}
{{- $selector := include "kubemail.selectorLabels" (dict "ctx" .ctx "component" .component) | fromYaml }}
{{- $out := list }}
{{- range $v.topologySpreadConstraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}{{ $_ := set $c "labelSelector" (dict "matchLabels" $selector) }}{{ end }}
{{- $out = append $out $c }}
{{- end }}
topologySpreadConstraints:
  {{- toYaml $out | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Extra pod labels of one component (never overriding the chart's own). */}}
{{- define "kubemail.podLabels" -}}
{{- $own := include "kubemail.labels" (dict "ctx" .ctx "component" .component) | fromYaml -}}
{{- if has .component (list "smtp" "imap" "pop3") }}{{ $_ := set $own "kubemail.io/mail-frontend" "true" }}{{ end -}}
{{- toYaml (merge $own (default (dict) .v.podLabels)) -}}
{{- end -}}

{{- define "kubemail.s3Env" -}}
- name: KUBEMAIL_BLOB_BACKEND
  value: "s3"
{{- if .Values.minio.enabled }}
- name: KUBEMAIL_S3_ENDPOINT
  value: {{ printf "%s-minio.%s.svc:9000" (include "kubemail.fullname" .) .Release.Namespace | quote }}
- name: KUBEMAIL_S3_SECURE
  value: "false"
- name: KUBEMAIL_S3_REGION
  value: "us-east-1"
{{- else }}
- name: KUBEMAIL_S3_ENDPOINT
  value: {{ required "minio.external.endpoint is required when minio.enabled=false" .Values.minio.external.endpoint | quote }}
- name: KUBEMAIL_S3_SECURE
  value: {{ .Values.minio.external.secure | toString | quote }}
- name: KUBEMAIL_S3_REGION
  value: {{ .Values.minio.external.region | quote }}
{{- end }}
- name: KUBEMAIL_S3_BUCKET
  value: {{ .Values.minio.bucket | quote }}
- name: KUBEMAIL_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "kubemail.s3SecretName" . }}
      key: {{ .Values.minio.auth.accessKeyKey }}
- name: KUBEMAIL_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "kubemail.s3SecretName" . }}
      key: {{ .Values.minio.auth.secretKeyKey }}
{{- end -}}

{{- define "kubemail.srsSecretName" -}}
{{- default (printf "%s-srs" (include "kubemail.fullname" .)) .Values.srs.existingSecret -}}
{{- end -}}

{{/* The Secret of DKIM private keys the operator maintains (<selector>._domainkey.<domain>.pem). */}}
{{- define "kubemail.dkimSecretName" -}}
{{- default (printf "%s-dkim-keys" (include "kubemail.fullname" .)) .Values.relay.dkim.secretName -}}
{{- end -}}

{{/* SRS secret as a file (relay and smtp): env, mount and volume. Whole-directory mount, never subPath. */}}
{{- define "kubemail.srsEnv" -}}
- name: KUBEMAIL_SRS_SECRET_FILE
  value: {{ printf "%s/%s" .Values.srs.mountPath .Values.srs.secretKey | quote }}
{{- with .Values.srs.domain }}
- name: KUBEMAIL_SRS_DOMAIN
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "kubemail.srsMount" -}}
- name: srs
  mountPath: {{ .Values.srs.mountPath }}
  readOnly: true
{{- end -}}

{{- define "kubemail.srsVolume" -}}
- name: srs
  secret:
    secretName: {{ include "kubemail.srsSecretName" . }}
    defaultMode: 288
    items:
      - key: {{ .Values.srs.secretKey }}
        path: {{ .Values.srs.secretKey }}
{{- end -}}

{{/* REDIS_PASSWORD is not a kubemail setting: it only feeds $(REDIS_PASSWORD) in KUBEMAIL_REDIS_URL. */}}
{{- define "kubemail.redisEnv" -}}
{{- $secret := include "kubemail.redisSecretName" . -}}
{{- $auth := "" -}}
{{- if $secret }}
{{- $auth = ":$(REDIS_PASSWORD)@" }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ include "kubemail.redisPasswordKey" . }}
{{- end }}
{{- if .Values.redis.enabled }}
- name: KUBEMAIL_REDIS_URL
  value: {{ printf "redis://%s%s-redis.%s.svc:6379/0" $auth (include "kubemail.fullname" .) .Release.Namespace | quote }}
- name: KUBEMAIL_REDIS_CLUSTER
  value: "false"
{{- else }}
- name: KUBEMAIL_REDIS_URL
  value: {{ printf "%s://%s%s:%d/%d" (ternary "rediss" "redis" .Values.redis.external.tls) $auth (required "redis.external.host is required when redis.enabled=false" .Values.redis.external.host) (int .Values.redis.external.port) (int .Values.redis.external.db) | quote }}
- name: KUBEMAIL_REDIS_CLUSTER
  value: {{ .Values.redis.external.cluster | toString | quote }}
{{- end }}
{{- end -}}

{{/* Pod pieces */}}
{{- define "kubemail.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "kubemail.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "kubemail.metricsAnnotations" -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metricsPort | quote }}
prometheus.io/path: /metrics
{{- end -}}

{{/* Operator-only settings (namespace to watch, peering name). */}}
{{- define "kubemail.operatorEnv" -}}
- name: KUBEMAIL_OPERATOR_NAMESPACES
  value: {{ .Release.Namespace | quote }}
- name: KUBEMAIL_OPERATOR_DKIM_KEYS_SECRET
  value: {{ printf "%s-dkim-keys" (include "kubemail.fullname" .) | quote }}
- name: KUBEMAIL_OPERATOR_DKIM_KEYS_NAMESPACE
  value: {{ .Release.Namespace | quote }}
{{- if .Values.operator.peering.enabled }}
- name: KUBEMAIL_OPERATOR_PEERING_NAME
  value: {{ .Values.operator.peering.name | quote }}
{{- else }}
- name: KUBEMAIL_OPERATOR_STANDALONE
  value: "true"
{{- end }}
{{- end -}}

{{/* NetworkPolicy peers */}}
{{- define "kubemail.promPeer" -}}
- namespaceSelector:
    {{- toYaml .namespaceSelector | nindent 4 }}
  podSelector:
    {{- toYaml (default (dict) .podSelector) | nindent 4 }}
{{- end -}}
{{/* Egress rules to the metadata pods (gRPC), the blob store and DNS; the relay's and web's policies. */}}
{{- define "kubemail.backendEgress" -}}
# Metadata gRPC, straight to the pods behind the headless Service.
- to:
    {{- include "kubemail.peersOf" (dict "ctx" . "components" (list "metadata")) | nindent 4 }}
  ports:
    - port: {{ .Values.metadata.port }}
      protocol: TCP
{{- if .Values.minio.enabled }}
- to:
    {{- include "kubemail.peersOf" (dict "ctx" . "components" (list "minio")) | nindent 4 }}
  ports:
    - port: 9000
      protocol: TCP
{{- else }}
# The external S3 endpoint (host:port; 443 without a port).
{{- $s3port := regexFind "[0-9]+$" (regexFind ":[0-9]+$" .Values.minio.external.endpoint) | default "443" }}
- ports:
    - port: {{ $s3port | int }}
      protocol: TCP
{{- end }}
# DNS: the cluster resolver (or the relay's dnsServers wherever they are).
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{- define "kubemail.peersOf" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ include "kubemail.name" .ctx }}
      app.kubernetes.io/instance: {{ .ctx.Release.Name }}
    matchExpressions:
      - key: app.kubernetes.io/component
        operator: In
        values: {{ toJson .components }}
{{- end -}}

{{/* Per-component env lists */}}
{{- define "kubemail.frontendEnv" -}}
{{- $ := .ctx -}}
{{- $v := .v -}}
{{- $component := .component -}}
{{- $listeners := include "kubemail.listeners" $ | fromYaml -}}
{{ include "kubemail.commonEnv" $ }}
- name: KUBEMAIL_METADATA_ADDR
  value: {{ include "kubemail.metadataAddr" $ | quote }}
{{- include "kubemail.s3Env" $ | nindent 0 }}
- name: KUBEMAIL_BLOB_CACHE_BYTES
  value: {{ $.Values.frontends.blobCacheBytes | int64 | toString | quote }}
- name: KUBEMAIL_TRUSTED_NETWORKS
  value: {{ join "," $.Values.trustedNetworks | quote }}
{{- with $.Values.sharedNetworks }}
- name: KUBEMAIL_AUTH_SHARED_NETWORKS
  value: {{ join "," . | quote }}
{{- end }}
{{- if $v.proxyProtocol.enabled }}
- name: KUBEMAIL_PROXY_NETWORKS
  value: {{ join "," $v.proxyProtocol.networks | quote }}
{{- with $v.proxyProtocol.listeners }}
{{- $known := list }}
{{- range $l := index $listeners $component }}{{ $known = append $known $l.name }}{{ end }}
{{- range $name := . }}
{{- if not (has $name $known) }}
{{- fail (printf "%s.proxyProtocol.listeners: %q is not a %s listener (%s)" $component $name $component (join ", " $known)) }}
{{- end }}
{{- end }}
- name: KUBEMAIL_PROXY_LISTENERS
  value: {{ join "," . | quote }}
{{- end }}
{{- end }}
{{- range $l := index $listeners $component }}
- name: {{ $l.env }}
  value: {{ ternary "0" ($l.containerPort | toString) (and $l.implicitTLS (not $.Values.tls.enabled)) | quote }}
{{- end }}
{{- if $.Values.tls.enabled }}
- name: KUBEMAIL_TLS_CERT
  value: {{ printf "%s/tls.crt" $.Values.tls.mountPath | quote }}
- name: KUBEMAIL_TLS_KEY
  value: {{ printf "%s/tls.key" $.Values.tls.mountPath | quote }}
{{- end }}
{{- if eq $component "smtp" }}
{{- include "kubemail.srsEnv" $ | nindent 0 }}
{{- end }}
{{- include "kubemail.rspamdEnv" (dict "ctx" $ "component" $component) | nindent 0 }}
{{- end -}}

{{/* Rspamd for one front-end: smtp scans (/checkv2), imap trains (controller); the bundled Service or external URLs. */}}
{{- define "kubemail.rspamdEnv" -}}
{{- $ := .ctx -}}
{{- $r := $.Values.rspamd -}}
{{- $svc := printf "http://%s-rspamd.%s.svc.%s" (include "kubemail.fullname" $) $.Release.Namespace $.Values.clusterDomain -}}
{{- $scan := ternary (printf "%s:11333" $svc) $r.externalUrl $r.enabled -}}
{{- $controller := ternary (printf "%s:11334" $svc) $r.externalControllerUrl $r.enabled -}}
{{- if and (eq .component "smtp") $scan }}
- name: KUBEMAIL_RSPAMD_URL
  value: {{ $scan | quote }}
- name: KUBEMAIL_RSPAMD_TIMEOUT
  value: {{ $r.timeout | toString | quote }}
- name: KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN
  value: {{ $r.failOpen | toString | quote }}
{{- end }}
{{- if and (eq .component "imap") $controller }}
- name: KUBEMAIL_RSPAMD_CONTROLLER_URL
  value: {{ $controller | quote }}
- name: KUBEMAIL_RSPAMD_TIMEOUT
  value: {{ $r.timeout | toString | quote }}
{{- end }}
{{- end -}}

{{- define "kubemail.relayEnv" -}}
{{- $v := .Values.relay -}}
{{ include "kubemail.commonEnv" . }}
- name: KUBEMAIL_METADATA_ADDR
  value: {{ include "kubemail.metadataAddr" . | quote }}
{{- include "kubemail.s3Env" . | nindent 0 }}
{{- include "kubemail.srsEnv" . | nindent 0 }}
{{- with $v.heloName }}
- name: KUBEMAIL_RELAY_HELO_NAME
  value: {{ . | quote }}
{{- end }}
{{- with $v.dnsServers }}
- name: KUBEMAIL_RELAY_DNS_SERVERS
  value: {{ join "," . | quote }}
{{- end }}
- name: KUBEMAIL_RELAY_RETRY_SCHEDULE
  value: {{ join "," $v.retrySchedule | quote }}
- name: KUBEMAIL_RELAY_MAX_LIFETIME
  value: {{ $v.maxLifetime | int64 | toString | quote }}
- name: KUBEMAIL_RELAY_DELAY_WARNING
  value: {{ $v.delayWarning | int64 | toString | quote }}
- name: KUBEMAIL_RELAY_DKIM_KEYS_DIR
  value: {{ $v.dkim.mountPath | quote }}
{{- with $v.smarthost }}
{{- if .host }}
- name: KUBEMAIL_RELAY_SMARTHOST
  value: {{ printf "%s:%d" .host (int .port) | quote }}
- name: KUBEMAIL_RELAY_SMARTHOST_TLS
  value: {{ .tls | quote }}
{{- with .username }}
- name: KUBEMAIL_RELAY_SMARTHOST_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- if .existingSecret }}
- name: KUBEMAIL_RELAY_SMARTHOST_PASSWORD_FILE
  value: {{ printf "/etc/kubemail/smarthost/%s" .passwordKey | quote }}
{{- end }}
{{- else if or .username .existingSecret }}
{{- fail "kubemail: relay.smarthost.username/existingSecret need relay.smarthost.host" }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The mail host the web front-end publishes (web.mailHost, else hostname). */}}
{{- define "kubemail.webMailHost" -}}
{{- default .Values.hostname .Values.web.mailHost -}}
{{- end -}}

{{/* The Ingress hosts of the web front-end, as a YAML list: the mail host first, then autoconfig.<d>,
     autodiscover.<d> and mta-sts.<d> for every d in web.ingress.domains (no duplicates). */}}
{{- define "kubemail.webHosts" -}}
{{- $hosts := list (include "kubemail.webMailHost" .) -}}
{{- range $d := .Values.web.ingress.domains -}}
{{- if not (regexMatch `^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$` (toString $d)) -}}
{{- fail (printf "kubemail: web.ingress.domains: %q is not a lower-case DNS domain" (toString $d)) -}}
{{- end -}}
{{- range $prefix := list "autoconfig" "autodiscover" "mta-sts" -}}
{{- $hosts = append $hosts (printf "%s.%s" $prefix $d) -}}
{{- end -}}
{{- end -}}
{{- toYaml (uniq $hosts) -}}
{{- end -}}

{{/* The published client ports (KUBEMAIL_WEB_*_PORT): the mail Service port of each listener the chart runs
     with TLS, 0 for the others (a disabled protocol; every port with tls.enabled=false, since autoconfig
     describes only SSL and STARTTLS servers and those then offer no TLS). */}}
{{- define "kubemail.webPublishedEnv" -}}
{{- $rows := list (list "imap" "imaps" "KUBEMAIL_WEB_IMAPS_PORT") (list "imap" "imap" "KUBEMAIL_WEB_IMAP_PORT") (list "pop3" "pop3s" "KUBEMAIL_WEB_POP3S_PORT") (list "pop3" "pop3" "KUBEMAIL_WEB_POP3_PORT") (list "smtp" "submissions" "KUBEMAIL_WEB_SUBMISSIONS_PORT") (list "smtp" "submission" "KUBEMAIL_WEB_SUBMISSION_PORT") -}}
{{- range $row := $rows }}
{{- $v := index $.Values (index $row 0) }}
- name: {{ index $row 2 }}
  value: {{ ternary (index $v.service.ports (index $row 1) | toString) "0" (and $v.enabled $.Values.tls.enabled) | quote }}
{{- end }}
{{- end -}}

{{- define "kubemail.webEnv" -}}
{{- $v := .Values.web -}}
{{- $host := include "kubemail.webMailHost" . -}}
{{ include "kubemail.commonEnv" . }}
- name: KUBEMAIL_METADATA_ADDR
  value: {{ include "kubemail.metadataAddr" . | quote }}
{{- include "kubemail.s3Env" . | nindent 0 }}
- name: KUBEMAIL_BLOB_CACHE_BYTES
  value: {{ .Values.frontends.blobCacheBytes | int64 | toString | quote }}
{{- with .Values.sharedNetworks }}
- name: KUBEMAIL_AUTH_SHARED_NETWORKS
  value: {{ join "," . | quote }}
{{- end }}
{{- with $v.trustedProxies }}
# X-Forwarded-For is believed from these peers only (the Ingress controller).
- name: KUBEMAIL_PROXY_NETWORKS
  value: {{ join "," . | quote }}
{{- end }}
- name: KUBEMAIL_WEB_PORT
  value: {{ $v.port | toString | quote }}
- name: KUBEMAIL_WEB_MAIL_HOST
  value: {{ $host | quote }}
- name: KUBEMAIL_WEB_PUBLIC_URL
  value: {{ default (printf "https://%s" $host) $v.publicUrl | quote }}
{{- include "kubemail.webPublishedEnv" . | nindent 0 }}
- name: KUBEMAIL_WEB_MTA_STS_MODE
  value: {{ $v.mtaSts.mode | quote }}
- name: KUBEMAIL_WEB_MTA_STS_MX
  value: {{ join "," (default (list $host) $v.mtaSts.mx) | quote }}
- name: KUBEMAIL_WEB_MTA_STS_MAX_AGE
  value: {{ $v.mtaSts.maxAge | int64 | toString | quote }}
- name: KUBEMAIL_WEB_EAS_REQUIRE_PASSWORD
  value: {{ $v.activeSync.requirePassword | toString | quote }}
- name: KUBEMAIL_WEB_EAS_MIN_PASSWORD_LENGTH
  value: {{ $v.activeSync.minPasswordLength | int64 | toString | quote }}
- name: KUBEMAIL_WEB_EAS_MAX_INACTIVITY_SECONDS
  value: {{ $v.activeSync.maxInactivitySeconds | int64 | toString | quote }}
{{- end -}}

{{- define "kubemail.metadataEnv" -}}
{{ include "kubemail.commonEnv" . }}
- name: KUBEMAIL_METADATA_LISTEN
  value: {{ printf "[::]:%d" (int .Values.metadata.port) | quote }}
{{- include "kubemail.redisEnv" . | nindent 0 }}
{{- include "kubemail.s3Env" . | nindent 0 }}
{{- end -}}

{{- define "kubemail.operatorFullEnv" -}}
{{ include "kubemail.commonEnv" . }}
- name: KUBEMAIL_METADATA_ADDR
  value: {{ include "kubemail.metadataAddr" . | quote }}
{{- include "kubemail.operatorEnv" . | nindent 0 }}
{{- end -}}

{{/* The chart's env list (YAML text) with .overrides (maps name: value, later wins) applied by name:
     an override replaces the chart's entry in place; new names are appended. No duplicates. */}}
{{- define "kubemail.mergeEnv" -}}
{{- $over := dict -}}
{{- range .overrides }}{{- range $k, $val := . }}{{- $_ := set $over $k (toString $val) }}{{- end }}{{- end -}}
{{- $out := list -}}
{{- $seen := dict -}}
{{- range (.base | fromYamlArray) -}}
{{- if not (kindIs "map" .) }}{{ fail (printf "kubemail.mergeEnv: bad env entry %v" .) }}{{ end -}}
{{- if hasKey $over .name -}}
{{- $out = append $out (dict "name" .name "value" (get $over .name)) -}}
{{- $_ := set $seen .name true -}}
{{- else -}}
{{- $out = append $out . -}}
{{- end -}}
{{- end -}}
{{- range $k := keys $over | sortAlpha -}}
{{- if not (hasKey $seen $k) -}}
{{- $out = append $out (dict "name" $k "value" (get $over $k)) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* redis.conf of the bundled Redis. */}}
{{- define "kubemail.redisConf" -}}
{{- $v := .Values.redis -}}
# Invariant 1 (no acknowledged loss): every write goes to the append-only file; `always` fsyncs it
# before Redis answers (everysec is an opt-in trade-off, see the chart README).
dir /data
appendonly yes
appendfsync {{ $v.appendfsync }}
aof-use-rdb-preamble yes
save 900 1
save 300 100
protected-mode no
port 6379
# {{ $v.maxmemoryPercent }}% of the {{ dig "limits" "memory" "" $v.resources }} container limit: headroom for the AOF rewrite
# fork, buffers and fragmentation, so Redis refuses writes instead of being OOM-killed.
maxmemory {{ include "kubemail.redisMaxmemory" . }}
# The metadata service runs Lua scripts and pub/sub; keep every key (never evict metadata): past
# maxmemory writes fail with OOM, which the metadata service answers as UNAVAILABLE.
maxmemory-policy noeviction
{{- end -}}
