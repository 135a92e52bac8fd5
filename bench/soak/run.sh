#!/usr/bin/env bash
# The soak (bench/soak): builds the Silo program and the soak driver in Release, then runs the soak against two silo
# processes (mutual TLS, an API key, Redis membership). Arguments go to the driver: --minutes M (default 30),
# --clients N, --out FILE; --help lists them. Needs redis-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build -c Release Silo -v q -nologo >/dev/null
dotnet build -c Release bench/soak -v q -nologo >/dev/null
exec dotnet bench/soak/bin/Release/net10.0/OrleansLlm.Soak.dll "$@"
