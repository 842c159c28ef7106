trap '' HUP PIPE
state=$1 session=$2 lease=$3
revert_session() {
  ok='' bad=''
  for d in "$state"/faults/*/; do
    owner=''; { read -r owner < "$d/session"; } 2>/dev/null
    [ "$owner" = "$session" ] || continue
    id=${d%/}; id=${id##*/}
    if ( . "$d/fire.sh" "$1" ) </dev/null >/dev/null 2>&1 || [ ! -d "$d" ]
    then ok="$ok,$id"
    else bad="$bad,$id"
    fi
  done
}
echo "ready $$"
while IFS= read -r -t "$lease" line; do
  case $line in
    revert|'revert '*)
      by=${line#revert}; by=${by# }
      case $by in console|sweep|recover|timer|lease) ;; *) by=kill-switch ;; esac
      revert_session "$by"; echo "reverted ok=${ok#,} unconfirmed=${bad#,}" ;;
    ping) echo pong ;;
  esac
done
trap '' TERM INT
exec </dev/null >/dev/null 2>&1
revert_session lease
