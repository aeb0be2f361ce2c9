#!/usr/bin/env bash
# Vendors the browser libraries dashgate serves from its binary (GraphiQL, React, Chart.js), from
# the npm registry at pinned versions. Each package's tarball is checked against the registry's
# integrity hash; the copied files and their SHA-256 are written to assets/vendor/VERSIONS.
# Run it only to change a version; its output is committed, so building needs no npm.
set -euo pipefail
cd "$(dirname "$0")/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version   file inside the package   name served under /assets/vendor/
files=(
  "react@18.3.1       umd/react.production.min.js         react.production.min.js"
  "react-dom@18.3.1   umd/react-dom.production.min.js     react-dom.production.min.js"
  "graphiql@4.0.3     graphiql.min.js                     graphiql.min.js"
  "graphiql@4.0.3     graphiql.min.css                    graphiql.min.css"
  "chart.js@4.5.1     dist/chart.umd.min.js               chart.umd.min.js"
)

: > VERSIONS.new
for entry in "${files[@]}"; do
  read -r spec inner served <<<"$entry"
  name=${spec%@*}
  dir="$work/$name"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    integrity=$(npm view "$spec" dist.integrity)
    tarball=$(cd "$work" && npm pack "$spec" --silent)
    actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
    if [ "$actual" != "$integrity" ]; then
      echo "integrity mismatch for $spec: $actual vs $integrity" >&2
      exit 1
    fi
    tar xzf "$work/$tarball" -C "$dir"
    echo "# $spec $integrity" >> VERSIONS.new
  fi
  cp "$dir/package/$inner" "$served"
  echo "$(sha256sum "$served" | cut -d' ' -f1)  $served  ($spec $inner)" >> VERSIONS.new
done
mv VERSIONS.new VERSIONS
cat VERSIONS
