trap '' HUP PIPE
state=$1 session=$2 lease=$3 holder=${4:-}
# while it runs, leases/<session> names this watcher and who holds the host (see holders.py)
hold() {
  { [ -d "$state/leases" ] || mkdir -p "$state/leases"; } &&
    printf '%s\n%s\n' "$$" "$holder" > "$state/leases/$session"
}
hold 2>/dev/null || hold 2>/dev/null  # again if another watcher removed the empty folder
# revert_session WHO MODE: each of the session's records through its fire.sh; sets ok and bad
revert_session() {
  ok='' bad=''
  for d in "$state"/faults/*/; do
    owner=''; { read -r owner < "$d/session"; } 2>/dev/null
    [ "$owner" = "$session" ] || continue
    id=${d%/}; id=${id##*/}
    # under sh, as the timer runs it: the plan's lines mean what they mean there
    if sh "$d/fire.sh" "$1" "$2" </dev/null >/dev/null 2>&1 || [ ! -d "$d" ]
    then ok="$ok,$id"
    else bad="$bad,$id"
    fi
  done
}
# tidy_session WHO: after the answer, the confirmed records' timers, cleanup, removal, history
tidy_session() {
  for d in "$state"/faults/*/; do
    [ -f "$d/confirmed" ] || continue
    owner=''; { read -r owner < "$d/session"; } 2>/dev/null
    [ "$owner" = "$session" ] || continue
    sh "$d/fire.sh" "$1" tidy </dev/null >/dev/null 2>&1
  done
}
echo "ready $$"
tidy=''
while IFS= read -r -t "$lease" line; do
  # the tidy-up of the last revert waits for the next line (a heartbeat, a second later): while
  # the kill switch runs, every other host's revert has the machine to itself
  if [ -n "$tidy" ]; then tidy_session "$tidy"; tidy=''; fi
  case $line in
    revert|'revert '*)
      by=${line#revert}; by=${by# }
      case $by in console|sweep|recover|timer|lease) ;; *) by=kill-switch ;; esac
      revert_session "$by" answer
      echo "reverted ok=${ok#,} unconfirmed=${bad#,}"
      tidy=$by ;;
    hb) echo hb ;;
    ping) echo pong ;;
  esac
done
trap '' TERM INT
exec </dev/null >/dev/null 2>&1
if [ -n "$tidy" ]; then tidy_session "$tidy"; fi
revert_session lease full
# the folder stays (gameday's own state directory): the next watcher need not make it again
rm -f "$state/leases/$session"
