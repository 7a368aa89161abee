#!/usr/bin/env bash
# Installs the Debian packages CommunityGrid builds and runs with (Swift 6.3 itself must be on PATH).
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
PACKAGES=(
  pkg-config libsqlite3-dev libsqlite3-mod-spatialite libspatialite-dev libproj-dev libgeos-dev
  libreadosm-dev libexpat1-dev zlib1g-dev libdeflate-dev gzip spatialite-bin
  libjs-leaflet chromium fonts-dejavu-core fonts-noto-cjk
  libxlsxwriter-dev poppler-utils gdal-bin
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift 6.3 is not on PATH: install the Swift toolchain first" >&2; exit 1; }
echo "setup: Debian packages present; $(swift --version 2>/dev/null | head -1)"
# Optional: MapLibre GL JS for the map page at city scale (vector tiles). Not packaged for Debian: the dist files
# come from the `maplibre` Python wheel, unpacked beside Leaflet's (nothing fetched by the page from elsewhere).
# Without them the page draws with Leaflet.
MAPLIBRE_DIR=/usr/local/share/javascript/maplibre-gl
if [ ! -f "$MAPLIBRE_DIR/maplibre-gl.js" ] || [ ! -f "$MAPLIBRE_DIR/maplibre-gl.css" ]; then
  wheel_dir=$(mktemp -d)
  if python3 -m pip download -q "maplibre==0.3.6" --no-deps -d "$wheel_dir" 2>/dev/null \
     && python3 -m zipfile -e "$wheel_dir"/maplibre-0.3.6-py3-none-any.whl "$wheel_dir/x" \
     && head -c 300 "$wheel_dir/x/maplibre/srcjs/maplibre-gl.js" | grep -q "@license 3-Clause BSD"; then
    $SUDO mkdir -p "$MAPLIBRE_DIR"
    $SUDO cp "$wheel_dir/x/maplibre/srcjs/maplibre-gl.js" "$wheel_dir/x/maplibre/srcjs/maplibre-gl.css" "$MAPLIBRE_DIR/"
    # The wheel carries its own (MIT) licence; MapLibre GL JS's BSD-3-Clause notice is the header of maplibre-gl.js.
    $SUDO cp "$wheel_dir/x/maplibre-0.3.6.dist-info/LICENSE.md" "$MAPLIBRE_DIR/LICENSE-maplibre-python-0.3.6.md"
    printf '%s\n' "MapLibre GL JS 5.3.0 (BSD-3-Clause, see the header of maplibre-gl.js), unpacked from the Python wheel maplibre 0.3.6 (maplibre/srcjs/)." \
      | $SUDO tee "$MAPLIBRE_DIR/SOURCE.txt" >/dev/null
  else
    echo "setup: MapLibre GL JS not installed; the map page draws with Leaflet and its MapLibre tests will be skipped"
  fi
  rm -rf "$wheel_dir"
fi
# Optional: the Python side of the peer comparison tests and the OpenAPI validator (tests skip with a reason without them).
if python3 -c "import osmium, networkx, shapely, scipy, numpy, openapi_spec_validator" 2>/dev/null; then
  :
else
  python3 -m pip install -q osmium networkx shapely scipy numpy openapi-spec-validator 2>/dev/null \
    || echo "setup: python packages for the peer comparison not installed; those tests will be skipped"
fi
# Optional: mapbox-vector-tile, an independent decoder the vector-tile tests read tiles back with (skipped without it).
if ! python3 -c "import mapbox_vector_tile" 2>/dev/null; then
  python3 -m pip install -q "mapbox-vector-tile==2.2.0" 2>/dev/null \
    || echo "setup: mapbox-vector-tile not installed; the vector-tile decoding tests will be skipped"
fi
# Optional: schemathesis for the OpenAPI-driven fuzz of a live server (that test is skipped with a reason without it).
if ! python3 -c "import schemathesis" 2>/dev/null || ! command -v schemathesis >/dev/null; then
  python3 -m pip install -q "schemathesis==4.3.18" 2>/dev/null \
    || echo "setup: schemathesis not installed; the OpenAPI fuzz test will be skipped"
fi
# Optional: openpyxl reads the report's XLSX back in its test (that test is skipped with a reason without it).
if ! python3 -c "import openpyxl" 2>/dev/null; then
  python3 -m pip install -q openpyxl 2>/dev/null \
    || echo "setup: openpyxl not installed; the report workbook test will be skipped"
fi
