#!/usr/bin/env bash
# Builds CPython for wasm32-wasi from Debian's packages only, into $PADCELL_CPYTHON_DIR
# (default: target/cpython). Every input is pinned: the compiler packages by version, the CPython
# source and the wasi-libc package by sha256. Nothing is installed from trixie: its source is read
# through a private apt configuration that leaves /etc/apt alone, and its wasi-libc .deb is only
# unpacked. Runs once; a finished build (its stamp) is kept and reused.
#
# Why 3.13 from trixie: WASI is a tier-2 platform from 3.13, and bookworm's own 3.11 needs
# bookworm's 2022 wasi-libc, which 3.13 does not build with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
W=${PADCELL_CPYTHON_DIR:-$root/target/cpython}

PY_VERSION=3.13.5
PY_ORIG_SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
ZLIB_ORIG=zlib_1.3.dfsg+really1.3.1.orig.tar.gz
ZLIB_SHA256=60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb
WASI_LIBC_VERSION=0.0~git20241209.574b88d-2
WASI_LIBC_SHA256=b7716260051d289248b7667f81fa2792c125d888ff51da3fa09c6272cc0bd11d
LLVM_VERSION=1:19.1.7-3~deb12u1
# Everything that shapes the build: a change here rebuilds.
# No test modules: _testcapi and _testinternalcapi hand Python code raw memory.
CONFIGURE_ARGS=(--with-pymalloc --disable-test-modules)
OPT_CFLAGS="-O3"
# Flags for the wasm32 compiler only (the native build Python does not get them): ThinLTO
# bitcode, which the guest's link (rust-lld) optimizes with the rest, and the wasm features
# wasmtime 36 runs (bulk memory, non-trapping float-to-int). About 12% faster Python than -O3 alone.
WASM_CFLAGS=${PADCELL_WASM_CFLAGS:--flto=thin -mbulk-memory -mnontrapping-fptoint}
stamp_text="$PY_VERSION $ZLIB_ORIG $WASI_LIBC_VERSION $LLVM_VERSION ${CONFIGURE_ARGS[*]} $OPT_CFLAGS${WASM_CFLAGS:+ $WASM_CFLAGS}"

out=$W/out
# One build at a time: a second cargo (a release build beside a debug one) waits for the first.
mkdir -p "$W"
exec 9>"$W/lock"
flock 9
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp_text" ]; then
  echo "CPython for wasm32-wasi: up to date in $out"
  exit 0
fi

# 1. Debian's clang, lld and the wasm32 compiler-rt builtins, at the pinned version.
need=()
for p in clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32; do
  [ "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)" = "$LLVM_VERSION" ] || need+=("$p=$LLVM_VERSION")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# 2. A private apt configuration for trixie on the archive this machine already uses.
mkdir -p "$W"/apt/lists/partial "$W"/apt/cache/archives/partial "$W"/src "$W"/debs
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
printf 'deb-src %s trixie main\ndeb %s trixie main\n' "$mirror" "$mirror" > "$W"/apt/sources.list
apto=(-o Dir::Etc::SourceList="$W"/apt/sources.list -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$W"/apt/lists -o Dir::Cache="$W"/apt/cache -o APT::Sandbox::User=root)
# Only the upstream tarballs are used, pinned by sha256: any Debian revision of them will do, and
# a missing Debian patch tarball (the archive moved on) does not matter.
orig=$W/src/python3.13_$PY_VERSION.orig.tar.xz
zorig=$W/src/$ZLIB_ORIG
if [ ! -f "$orig" ] || [ ! -f "$zorig" ] || [ -z "$(ls "$W"/debs/wasi-libc_*_all.deb 2>/dev/null)" ]; then
  apt-get "${apto[@]}" update -qq
  [ -f "$orig" ] || (cd "$W"/src && apt-get "${apto[@]}" source --download-only python3.13 || true)
  [ -f "$zorig" ] || (cd "$W"/src && apt-get "${apto[@]}" source --download-only zlib || true)
  (cd "$W"/debs && apt-get "${apto[@]}" download "wasi-libc=$WASI_LIBC_VERSION")
fi
deb=$(ls "$W"/debs/wasi-libc_*_all.deb)
echo "$PY_ORIG_SHA256  $orig" | sha256sum -c -
echo "$ZLIB_SHA256  $zorig" | sha256sum -c -
echo "$WASI_LIBC_SHA256  $deb" | sha256sum -c -

# 3. The source, and a wasi-sdk look-alike for CPython's Tools/wasm/wasi.py.
rm -rf "$W"/build "$W"/sysroot-root
mkdir -p "$W"/build
tar -C "$W"/build -xf "$orig"
dpkg-deb -x "$deb" "$W"/sysroot-root
T=$W/sysroot-root/usr; S=$W/build/sysroot; K=$W/build/wasi-sdk
# The sysroot: trixie's wasi-libc (as symlinks), with zlib added below.
mkdir -p "$S"/include "$S"/lib "$K"/bin "$K"/share
for t in wasm32-wasi wasm32-wasip1; do
  mkdir -p "$S/include/$t" "$S/lib/$t"
  cp -rs "$T/include/wasm32-wasi/." "$S/include/$t/"
  cp -rs "$T/lib/wasm32-wasi/." "$S/lib/$t/"
done
ln -sfn "$S" "$K"/share/wasi-sysroot
for cc in clang clang++; do
  printf '#!/bin/sh\nexec /usr/bin/%s-19 --target=wasm32-wasi %s "$@"\n' "$cc" "$WASM_CFLAGS" > "$K/bin/$cc"
done
printf '#!/bin/sh\nexec /usr/bin/clang-19 --target=wasm32-wasi -E "$@"\n' > "$K"/bin/clang-cpp
chmod +x "$K"/bin/clang*
for x in llvm-ar llvm-ranlib llvm-nm wasm-ld; do ln -sf /usr/bin/$x-19 "$K"/bin/$x; done
ln -sf /usr/bin/llvm-ranlib-19 "$K"/bin/ranlib

# zlib for the zlib module, from Debian's source, into the sysroot where configure finds it.
tar -C "$W"/build -xzf "$zorig"
(cd "$W"/build/zlib-1.3.1
 for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate inftrees trees uncompr zutil; do
   "$K"/bin/clang --sysroot="$S" -O3 -DHAVE_UNISTD_H -D_LARGEFILE64_SOURCE=1 -c $f.c -o $f.o
 done
 "$K"/bin/llvm-ar rcs libz.a *.o
 for t in wasm32-wasi wasm32-wasip1; do cp zlib.h zconf.h "$S/include/$t/"; cp libz.a "$S/lib/$t/"; done)

# 4. CPython's own WASI driver: a native build Python, then the wasm32-wasi host build. Its host
#    runner only runs `python.sh --version` at the end; wasi.py's default (wasmtime) is not here,
#    so the check is skipped with `true`.
cd "$W"/build/Python-$PY_VERSION
export OPT="-DNDEBUG $OPT_CFLAGS"
python3 Tools/wasm/wasi.py build --wasi-sdk "$K" --host-triple wasm32-wasi \
  --host-runner "true {HOST_DIR} {GUEST_DIR} {ENV_VAR_NAME} {ENV_VAR_VALUE}" -- "${CONFIGURE_ARGS[@]}"

# 5. What the guest links and embeds: the static libraries (CPython's, its modules', and the WASI
#    libc emulations CPython's configure chose), the headers, the frozen standard library, and a
#    PyO3 configuration that describes this build (the guest's build.rs does the linking).
src=$W/build/Python-$PY_VERSION
b=$src/cross-build/wasm32-wasi
rm -rf "$out"; mkdir -p "$out"/lib
cp "$b"/libpython3.13.a "$out"/lib/
find "$b"/Modules -name '*.a' -exec cp {} "$out"/lib/ \;
for l in $(grep -o -- '-l\(dl\|z\|wasi-emulated-[a-z-]*\)\b' "$b"/Makefile | sort -u); do
  cp -L "$S/lib/wasm32-wasi/lib${l#-l}.a" "$out"/lib/
done
# A reactor's entry: `_initialize` runs the C constructors once. Without it wasm-ld would wrap
# every export in constructors and destructors (atexit handlers) as for a command.
cp -L "$S"/lib/wasm32-wasi/crt1-reactor.o "$out"/
"$src"/cross-build/build/python "$here"/pack_stdlib.py "$src"/Lib "$b"/build/lib.wasi-wasm32-3.13 "$W" "$out"/stdlib.frozen
cat > "$out"/pyo3-config.txt <<CONFIG
implementation=CPython
version=3.13
shared=false
abi3=false
lib_name=python3.13
lib_dir=$out/lib
pointer_width=32
suppress_build_script_link_lines=true
CONFIG
# Where the source tree is: its Lib/test is CPython's own test suite (tests/cpython_suite.rs).
echo "$src" > "$out"/source
echo "$stamp_text" > "$out"/stamp
echo "CPython for wasm32-wasi: built in $out"
