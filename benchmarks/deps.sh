#!/bin/sh
# Installs what benchmarks/run.py can use beyond the build's own dependencies:
# python3-matplotlib, to draw the backup's throughput over time as a PNG (without it run.py
# writes the CSV only). Debian and Ubuntu; run as root or through sudo.
set -eu
apt-get update
apt-get install -y --no-install-recommends python3-matplotlib
