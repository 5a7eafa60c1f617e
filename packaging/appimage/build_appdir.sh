#!/usr/bin/env bash
# Wrap the PyInstaller folder (dist/membank, from `make package`) into an AppDir, then into an
# AppImage when appimagetool is on PATH. Run from the repository root:
#     packaging/appimage/build_appdir.sh            # -> build/AppDir (+ dist/membank-x86_64.AppImage)
# appimagetool is not on PyPI or in Debian; get it from the AppImage project's releases
# (appimagetool-x86_64.AppImage) on a machine with internet access. See packaging/README.md.
set -euo pipefail
APP_ID=io.github.membank.Membank
SRC=${1:-dist/membank}
APPDIR=${APPDIR:-build/AppDir}
HERE=$(dirname "$0")
[ -x "$SRC/membank" ] || { echo "no $SRC/membank: run 'make package' first" >&2; exit 1; }

rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/lib" "$APPDIR/usr/bin" "$APPDIR/usr/share/applications" \
    "$APPDIR/usr/share/metainfo"
cp -a "$SRC" "$APPDIR/usr/lib/membank"            # -a keeps the membank-cli symlink
ln -s ../lib/membank/membank "$APPDIR/usr/bin/membank"
ln -s ../lib/membank/membank-cli "$APPDIR/usr/bin/membank-cli"
ln -s ../lib/membank/membank-mcp "$APPDIR/usr/bin/membank-mcp"
install -m 755 "$HERE/AppRun" "$APPDIR/AppRun"

install -m 644 "resources/$APP_ID.desktop" "$APPDIR/usr/share/applications/$APP_ID.desktop"
install -m 644 "resources/$APP_ID.metainfo.xml" "$APPDIR/usr/share/metainfo/$APP_ID.appdata.xml"
for png in resources/icons/membank-*.png; do
    size=${png##*-}; size=${size%.png}
    dir="$APPDIR/usr/share/icons/hicolor/${size}x${size}/apps"
    mkdir -p "$dir" && install -m 644 "$png" "$dir/$APP_ID.png"
done
mkdir -p "$APPDIR/usr/share/icons/hicolor/scalable/apps"
install -m 644 resources/membank.svg "$APPDIR/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
# The AppDir root needs the desktop file and icon (appimagetool reads them from there).
ln -s "usr/share/applications/$APP_ID.desktop" "$APPDIR/$APP_ID.desktop"
install -m 644 resources/icons/membank-256.png "$APPDIR/$APP_ID.png"
ln -s "$APP_ID.png" "$APPDIR/.DirIcon"
echo "AppDir: $APPDIR ($(du -sh "$APPDIR" | cut -f1))"

if command -v appimagetool >/dev/null 2>&1; then
    ARCH=x86_64 appimagetool --comp zstd "$APPDIR" dist/membank-x86_64.AppImage
    echo "AppImage: dist/membank-x86_64.AppImage ($(du -sh dist/membank-x86_64.AppImage | cut -f1))"
else
    echo "appimagetool not found on PATH: no AppImage was built. The AppDir is ready; get" >&2
    echo "appimagetool-x86_64.AppImage from the AppImage project's releases, then run" >&2
    echo "  ARCH=x86_64 appimagetool --comp zstd $APPDIR dist/membank-x86_64.AppImage" >&2
    exit 3
fi
