trap '' HUP PIPE
state=$1 session=$2 lease=$3 holder=${4:-}
# while it runs, leases/<session> names this watcher and who holds the host (see holders.py)
hold() {
  { [ -d "$state/leases" ] || mkdir -p "$state/leases"; } &&
    printf '%s\n%s\n' "$$" "$holder" > "$state/leases/$session"
}
hold 2>/dev/null || hold 2>/dev/null  # again if another watcher removed the empty folder
# fire WHO MODE DIR/: the record's fire.sh, its exit status. Through the runner once it runs: a
# sh kept beside the watcher, which runs each fire.sh in a fork of itself (from bash, a new sh
# costs a fork of bash and a start of sh: ~1 ms a host on a busy machine, on the kill switch's
# path); else in a new sh. Either way under sh, as the timer runs it. WHO and MODE are words
# from fixed lists and DIR a checked path: nothing in them needs quoting.
runner=''
fire() {
  if [ -n "$runner" ] && { printf '( set -- %s %s; . %sfire.sh ) </dev/null >/dev/null 2>&1; echo "rc $?"\n' \
    "$1" "$2" "$3" >&"${RUNNER[1]}" && IFS= read -r reply <&"${RUNNER[0]}"; } 2>/dev/null
  then
    case $reply in "rc "[0-9]*) return "${reply#rc }" ;; esac
  fi
  runner=''  # gone: from now on a new sh each time (reverts are idempotent: once more is safe)
  sh "$3fire.sh" "$1" "$2" </dev/null >/dev/null 2>&1
}
# started after the watcher's first answer: the console sends its first line once every host
# of the wave is launched, so the runner's fork of bash and start of sh do not take the cores
# from the hosts still launching. A revert before it runs a new sh, as when the runner is gone.
start_runner() {
  { coproc RUNNER { exec sh -s 2>/dev/null; }; } 2>/dev/null && runner=1
}
# revert_session WHO MODE: each of the session's records through its fire.sh; sets ok and bad
revert_session() {
  ok='' bad=''
  for d in "$state"/faults/*/; do
    owner=''; { read -r owner < "$d/session"; } 2>/dev/null
    [ "$owner" = "$session" ] || continue
    id=${d%/}; id=${id##*/}
    if fire "$1" "$2" "$d" || [ ! -d "$d" ]
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
    fire "$1" tidy "$d"
  done
}
echo "ready $$"
tidy='' started=''
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
  [ -n "$started" ] || { started=1; start_runner; }
done
trap '' TERM INT
exec </dev/null >/dev/null 2>&1
if [ -n "$tidy" ]; then tidy_session "$tidy"; fi
revert_session lease full
# the folder stays (gameday's own state directory): the next watcher need not make it again
rm -f "$state/leases/$session"
