#!/usr/bin/env bash
# Assembles a Flatpak runtime (platform and SDK in one) from this machine's own /usr and exports
# it into an OSTree repository, for testing the real manifest where the GNOME runtime cannot be
# downloaded.
#
#   flatpak-test-runtime.sh WORKDIR
#
# Writes WORKDIR/repo with the runtime org.kvbackup.LocalTestPlatform, branch "test" — a name no
# real runtime has, so that it is never taken for org.gnome.Platform.  Debian 12 has the same
# GTK 4.8 and libadwaita 1.2 as the GNOME 43 runtime, but a different /usr: this runtime tests
# the manifest and the sandbox, it is not for shipping.
set -euo pipefail

work=$1
rt=$work/runtime
rm -rf "$rt" "$work/repo"
mkdir -p "$rt/usr" "$rt/files" "$rt/var"

# Hard links where /usr and WORKDIR share a file system (instant), copies where they do not.
take() {
  local from=$1 to=$2
  mkdir -p "$(dirname "$to")"
  cp -al "$from" "$to" 2>/dev/null || { rm -rf "$to"; cp -a "$from" "$to"; }
}

for d in bin sbin libexec include lib/x86_64-linux-gnu lib/gcc lib/python3.11 lib/locale \
         share/glib-2.0 share/pkgconfig share/aclocal share/gettext share/fonts share/fontconfig \
         share/icons share/mime share/X11 share/zoneinfo share/gtk-4.0 share/meson share/misc \
         share/ca-certificates share/gir-1.0 share/locale/ja; do
  [ -e "/usr/$d" ] && take "/usr/$d" "$rt/usr/$d"
done
take /usr/lib/python3/dist-packages/mesonbuild "$rt/usr/lib/python3/dist-packages/mesonbuild"
cp -a /usr/lib64 "$rt/usr/lib64"

# /etc of the sandbox: only what the libraries and the compilers read (no passwords, no keys of
# this machine).
mkdir -p "$rt/usr/etc"
for e in fonts ld.so.conf ld.so.conf.d ssl/certs alternatives gtk-4.0 xdg; do
  [ -e "/etc/$e" ] && { mkdir -p "$(dirname "$rt/usr/etc/$e")"; cp -a "/etc/$e" "$rt/usr/etc/$e"; }
done

# Left out to keep the repository small: large programs and libraries that neither the build
# nor the application uses, and static archives but the C library's small ones.
find "$rt/usr/bin" -maxdepth 1 -type f -size +8M ! -name 'python3*' -delete
(cd "$rt/usr/lib/x86_64-linux-gnu" &&
  rm -rf fpc valgrind lapack perl libLLVM-14* libclang* libz3* libx265* libSvtAv1* libgrpc* \
         libtsan* libasan* libubsan* liblsan* libhwasan* &&
  find . -name '*.a' -size +1M -delete)

cat > "$rt/metadata" <<'EOF'
[Runtime]
name=org.kvbackup.LocalTestPlatform
runtime=org.kvbackup.LocalTestPlatform/x86_64/test
sdk=org.kvbackup.LocalTestPlatform/x86_64/test
EOF

flatpak build-export --runtime --disable-sandbox "$work/repo" "$rt" test >/dev/null
rm -rf "$rt"
