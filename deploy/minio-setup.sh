#!/usr/bin/env bash
# The bucket on MinIO (or any S3 store with the `mc` client): private, versioned, the app's own key
# limited to it. OSS / COS / OBS: the same settings in their consoles (private ACL, versioning on,
# block public access, a RAM/CAM/IAM user with only these actions on this bucket).
set -euo pipefail
mc alias set store "${S3_ENDPOINT_URL:?}" "${ADMIN_KEY:?}" "${ADMIN_SECRET:?}"
mc mb --ignore-existing store/bangfu-photos
mc anonymous set none store/bangfu-photos          # nothing public: photos only through the app
mc version enable store/bangfu-photos              # deleted/overwritten objects recoverable (backups)
mc ilm rule add store/bangfu-photos --noncurrent-expire-days 90
cat > /tmp/bangfu-app-policy.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
  "Resource": ["arn:aws:s3:::bangfu-photos", "arn:aws:s3:::bangfu-photos/*"]}]}
JSON
mc admin policy create store bangfu-app /tmp/bangfu-app-policy.json
mc admin user add store bangfu-app "${APP_SECRET:?}"
mc admin policy attach store bangfu-app --user bangfu-app
