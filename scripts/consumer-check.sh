#!/usr/bin/env bash
# Builds and runs two new projects outside this repository that use TorchMmap the ways users do:
#   1. a PackageReference to the packed package, restored from a local folder feed;
#   2. a ProjectReference to src/TorchMmap, importing build/TorchMmap.targets as docs/libstdcxx.md says.
# Each writes a .npy, reads it through NpyDataLoader (which loads libtorch) and checks the values. On Debian 12 this
# also checks the libstdc++ fix: without it, loading TorchSharp fails with "GLIBCXX_3.4.32 not found".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d -t torchmmap-consumers.XXXXXX)
trap 'rm -rf "$work"' EXIT
torchsharp=$(sed -nE 's/.*Include="TorchSharp-cpu" Version="([^"]+)".*/\1/p' "$repo/Directory.Packages.props")
# A version of its own per run, so the global package cache never serves an older build of the package.
version="0.0.0-consumer.$(date +%s)"

# write_project DIR REFERENCE IMPORT: the consumer project, referencing TorchMmap as REFERENCE says, with TorchSharp-cpu.
write_project() {
  cat > "$1/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    $2
    <PackageReference Include="TorchSharp-cpu" Version="$torchsharp" />
  </ItemGroup>
  $3
</Project>
XML
}

echo "== pack TorchMmap $version"
dotnet pack "$repo/src/TorchMmap/TorchMmap.csproj" -c Release -o "$work/feed" -p:Version="$version" -nologo -v:q

echo "== PackageReference consumer"
mkdir -p "$work/pkg"
cp "$repo/scripts/consumer/Program.cs" "$work/pkg/"
cat > "$work/pkg/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
XML
write_project "$work/pkg" '<PackageReference Include="TorchMmap" Version="'"$version"'" />' ''
dotnet build "$work/pkg" -c Release -nologo 2>&1 | tee "$work/pkg-build.log" | grep -E 'TorchMmap:|error|Warn|Error' || true
grep -q 'Build succeeded' "$work/pkg-build.log"
dotnet "$work/pkg/bin/Release/net10.0/Consumer.dll"

# The opt-out works, and shows the fix is what makes it run: here, unpatched, TorchSharp does not load.
libstdcxx=/usr/lib/x86_64-linux-gnu/libstdc++.so.6
if [ -f "$libstdcxx" ] && ! grep -q GLIBCXX_3.4.32 "$libstdcxx"; then
  echo "== PackageReference consumer with TorchMmapPatchLibStdCxx=false (must fail to load TorchSharp)"
  dotnet build "$work/pkg" -c Release -nologo --no-restore -p:TorchMmapPatchLibStdCxx=false -o "$work/pkg-off" 2>&1 \
    | tee "$work/pkg-off.log" | grep -E 'TorchMmap:' && { echo "the fix acted although turned off"; exit 1; }
  if dotnet "$work/pkg-off/Consumer.dll" > "$work/pkg-off.out" 2>&1; then
    echo "an unpatched TorchSharp loaded: the fix may no longer be needed"; exit 1
  fi
  grep -m1 'Failed to load native component LibTorchSharp' "$work/pkg-off.out" || { cat "$work/pkg-off.out"; exit 1; }
fi

echo "== ProjectReference consumer"
mkdir -p "$work/proj"
cp "$repo/scripts/consumer/Program.cs" "$work/proj/"
write_project "$work/proj" '<ProjectReference Include="'"$repo"'/src/TorchMmap/TorchMmap.csproj" />' \
  '<Import Project="'"$repo"'/build/TorchMmap.targets" />'
dotnet build "$work/proj" -c Release -nologo 2>&1 | tee "$work/proj-build.log" | grep -E 'TorchMmap:|error|Warn|Error' || true
grep -q 'Build succeeded' "$work/proj-build.log"
dotnet "$work/proj/bin/Release/net10.0/Consumer.dll"
echo "== npy tool package: installed from the local feed, run without libtorch"
dotnet pack "$repo/src/TorchMmap.Cli/TorchMmap.Cli.csproj" -c Release -o "$work/feed" -p:Version="$version" -nologo -v:q
ls -l "$work/feed/TorchMmap.Cli.$version.nupkg"
if unzip -l "$work/feed/TorchMmap.Cli.$version.nupkg" | grep -Eq '\.(so|dylib)$|native/'; then
  echo "the tool package carries native libraries"; exit 1
fi
dotnet tool install --tool-path "$work/tool" --add-source "$work/feed" --version "$version" TorchMmap.Cli > /dev/null
/usr/bin/python3 -c "import numpy as np; np.save('$work/a.npy', np.arange(6, dtype=np.float32).reshape(2, 3)); np.save('$work/u.npy', np.arange(3, dtype=np.uint64))"
"$work/tool/npy" --version
"$work/tool/npy" head "$work/a.npy"
"$work/tool/npy" stats "$work/a.npy"
set +e; "$work/tool/npy" verify "$work/u.npy"; code=$?; set -e
[ "$code" -eq 4 ] || { echo "verify of a uint64 file: exit $code, expected 4"; exit 1; }
echo "consumers ok"
