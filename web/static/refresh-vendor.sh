#!/usr/bin/env bash
# Refreshes the dashboard's vendored assets from npm (never a CDN at run time): Leaflet and
# its marker clusters, the Vazirmatn font (Non-Latin cut, regular and bold: Persian glyphs
# and digits only, Latin falls back to the system font) and uPlot for the charts. Versions
# are pinned here; change a version, run this script, look at the pages, commit the result.
# Only the files the pages use are copied, each package's licence beside them.
set -euo pipefail
cd "$(dirname "$0")"
VENDOR="$PWD/vendor"

LEAFLET=1.9.4
MARKERCLUSTER=1.5.3
VAZIRMATN=33.0.3
UPLOT=1.6.32

command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION → unpacked into $work/NAME
  echo "fetching $1@$2 from npm"
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$work/$1"
  tar xzf "$work/$1-$2.tgz" -C "$work/$1" --strip-components=1
}

fetch leaflet "$LEAFLET"
fetch leaflet.markercluster "$MARKERCLUSTER"
fetch vazirmatn "$VAZIRMATN"
fetch uplot "$UPLOT"

echo "copying the files the pages use into $VENDOR"
rm -rf "$VENDOR"
mkdir -p "$VENDOR"/{leaflet,leaflet.markercluster,vazirmatn,uplot}
cp "$work/leaflet/dist/leaflet.js" "$work/leaflet/dist/leaflet.css" "$work/leaflet/LICENSE" \
  "$VENDOR/leaflet/"
# Leaflet's marker images are not copied: the map draws circles, not pin icons.
cp "$work/leaflet.markercluster/dist/leaflet.markercluster.js" \
  "$work/leaflet.markercluster/dist/MarkerCluster.css" \
  "$work/leaflet.markercluster/dist/MarkerCluster.Default.css" \
  "$work/leaflet.markercluster/MIT-LICENCE.txt" "$VENDOR/leaflet.markercluster/"
nl="$work/vazirmatn/misc/Non-Latin/fonts/webfonts"
cp "$nl/Vazirmatn-NL-Regular.woff2" "$nl/Vazirmatn-NL-Bold.woff2" \
  "$work/vazirmatn/OFL.txt" "$VENDOR/vazirmatn/"
cp "$work/uplot/dist/uPlot.iife.min.js" "$work/uplot/dist/uPlot.min.css" \
  "$work/uplot/LICENSE" "$VENDOR/uplot/"
# Leaflet's source maps are not shipped; drop the comment that points at them.
sed -i '/sourceMappingURL/d' "$VENDOR/leaflet/leaflet.js" \
  "$VENDOR/leaflet.markercluster/leaflet.markercluster.js"

cat > "$VENDOR/VERSIONS" <<VERSIONS
leaflet $LEAFLET
leaflet.markercluster $MARKERCLUSTER
vazirmatn $VAZIRMATN
uplot $UPLOT
VERSIONS
echo "done:"
du -b "$VENDOR"/*/* | sort -k2
