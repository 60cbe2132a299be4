#!/usr/bin/env bash
# Every include between host-server's folders points down the layers that
# host-server/CMakeLists.txt describes; this fails naming each include that
# points up or sideways. Run by ctest (label unit) on every test run.
#
#   tests/layering/check-includes.sh [SOURCE_ROOT]
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root/host-server" || exit 2

# folder -> the folders it may include from (besides itself and memdomain/).
declare -A may=(
  [config]=""
  [placement]=""
  [persist]=""
  [io]=""
  [acl]="config"
  [memory]="placement"
  [protocol]="io memory placement"
  [domain]="config placement persist acl memory io protocol"
  [control]="config placement persist acl memory io protocol domain"
  [daemon]="config placement persist acl memory io protocol domain control"
  [ctl]="control"
  [keeper]="persist"
)

bad=0
for dir in */; do
  dir=${dir%/}
  if [ -z "${may[$dir]+set}" ]; then
    echo "host-server/$dir: a folder the layer list does not know: add it to tests/layering/check-includes.sh"
    bad=1
    continue
  fi
  while IFS=: read -r file line inc; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    [ "$target" = "$dir" ] && continue
    [ "$target" = "memdomain" ] && continue
    case " ${may[$dir]} " in
      *" $target "*) ;;
      *) echo "host-server/$file:$line: $dir/ includes from $target/ (${inc#*#include }), which is not below it"; bad=1 ;;
    esac
  done < <(grep -rn '^#include "[a-z_]*/' "$dir" --include='*.h' --include='*.cpp' | sed -E 's/^([^:]+):([0-9]+):/\1:\2:/')
done
if [ "$bad" -eq 0 ]; then echo "layering: every include in host-server/ points down"; fi
exit "$bad"
