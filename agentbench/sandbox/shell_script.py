"""The bash programs that run inside a sandbox: a supervisor and the worker shell it feeds.

The supervisor is the container's main process, PID 1 (which nothing inside the container
can kill; it also reaps orphans), and reads framed lines from the attached stdin:

    C<line>   forward <line> (one line of bash) to the worker shell
    K<pid> <seq>  interrupt worker <pid> (like Ctrl-C), kill every descendant and their
                  process groups, then have the worker print a K marker for <seq> (timeout)
    R<pid>    kill worker <pid> and everything under it, then start a fresh worker
    P         print a D marker if the worker's wrapper is gone (the host asks while waiting)

It uses only bash builtins for K and R, so it can still kill a fork bomb that holds every
pid the container may have. The worker is an interactive bash with job control on
(`set -m`), so each pipeline runs in its own process group and SIGINT acts like Ctrl-C. Markers on stdout start with a per-sandbox
random token:

    <T>:R:<pid>:<wrapper>      worker ready (<wrapper> is the subshell that started it)
    <T>:S:<seq>:<status>       command <seq> finished with <status>
    <T>:K:<seq>                command <seq> was interrupted and its processes killed
    <T>:D:<status>:<wrapper>   the worker under <wrapper> exited (`exit 3`); the host sends R
"""

from __future__ import annotations

# The supervisor is sent on stdin (not argv) so `pkill -f <word>` from the agent cannot
# match it; it ignores TERM/INT/HUP so `pkill bash` cannot take the sandbox down.
SUPERVISOR = r"""
__ab_main() {
  trap '' PIPE TERM INT HUP QUIT TSTP TTIN TTOU
  local T=$1 WD=$2 line up t0=0 JOBS=/dev/shm/.agentbench-jobs WRAP=0
  __ab_start() {
    # An interactive worker (-i) treats SIGINT like Ctrl-C in a terminal: the running
    # command line is abandoned, the shell survives. Its own stderr (prompts, job notices)
    # goes to /dev/null; each command's stderr is merged into stdout by the command line.
    exec 3> >(trap - PIPE TERM INT HUP QUIT TSTP TTIN TTOU
              bash --noprofile --norc --noediting -i 2>/dev/null
              printf '%s:D:%d:%d\n' "$T" $? "$BASHPID")
    WRAP=$!
    # The sentinel is printed by PROMPT_COMMAND, which runs after every command line, also
    # after one abandoned because a job died of SIGINT; readonly so a command cannot drop it.
    printf '%s\n' 'PS1= PS2= PS0=; unset HISTFILE MAILCHECK; set +H +o history -m' \
      "declare -r PROMPT_COMMAND='__ab_s=\$?; jobs -p >$JOBS 2>/dev/null; [[ -z \$__ab_seq ]] || printf \"%s%s:S:%d:%d\\\\n\" ${T:0:16} ${T:16} \$__ab_seq \$__ab_s; __ab_seq='" \
      'echo 1000 >/proc/self/oom_score_adj 2>/dev/null' \
      "cd ${WD@Q} 2>/dev/null" \
      "printf '%s:R:%d:%d\n' ${T@Q} \$\$ \$PPID" >&3
  }
  __ab_killtree() {
    # Kill every descendant of worker $1 (not $1 itself), every orphan adopted by init
    # since the last command started (double-forked daemons of that command), their
    # descendants and process groups. With $2 = spare, background jobs the worker had
    # before this command (their process groups, listed at the last prompt) survive, as
    # they would a Ctrl-C in a terminal. Builtins only: no fork needed under a pid limit.
    local root=$1 round f s pid pg changed
    local -A par grp desc pgs spare
    if [[ $2 == spare && -r $JOBS ]]; then
      while read -r pg; do [[ -n $pg ]] && spare[$pg]=1; done <"$JOBS"
    fi
    for round in 1 2 3 4; do
      par=() grp=() desc=() pgs=()
      desc[$root]=1
      for f in /proc/[0-9]*/stat; do
        IFS= read -r s 2>/dev/null <"$f" || continue
        pid=${f#/proc/}; pid=${pid%/stat}
        set -- ${s##*) }
        grp[$pid]=$3
        [[ -n ${spare[$3]} ]] && continue
        par[$pid]=$2
        if [[ $2 == 1 && $pid != "$$" && $pid != "$WRAP" ]] && (( ${20} >= t0 )); then desc[$pid]=1; fi
      done
      changed=1
      while ((changed)); do
        changed=0
        for pid in "${!par[@]}"; do
          if [[ -z ${desc[$pid]} && -n ${desc[${par[$pid]}]} ]]; then desc[$pid]=1 changed=1; fi
        done
      done
      unset "desc[$root]"
      ((${#desc[@]})) || return 0
      for pid in "${!desc[@]}"; do
        pg=${grp[$pid]}
        [[ $pg != "${grp[$root]}" && $pg != "${grp[$$]}" && $pg != 0 && $pg != 1 ]] && pgs[$pg]=1
      done
      for pg in "${!pgs[@]}"; do kill -9 -- "-$pg" 2>/dev/null; done
      kill -9 -- "${!desc[@]}" 2>/dev/null
    done
  }
  __ab_check() {
    # `pkill -9 bash` can kill the worker and its wrapper at once: then no D line comes
    # from the wrapper, so say it here when the host asks (P). PID 1 itself is unkillable.
    local st=
    ((WRAP)) || return 0
    IFS= read -r st 2>/dev/null </proc/$WRAP/stat
    st=${st##*) }
    if [[ -z $st || $st == Z* || $st == X* ]]; then  # gone, or a zombie not yet reaped
      printf '%s:D:%d:%d\n' "$T" 137 "$WRAP"
      WRAP=0
    fi
  }
  __ab_start
  while IFS= read -r line; do
    case $line in
      C*) read -r up _ </proc/uptime; t0=$((10#${up/./}))  # clock ticks (USER_HZ=100)
          printf '%s\n' "${line:1}" >&3 ;;
      K*) set -- ${line:1}
          kill -INT "$1" 2>/dev/null; __ab_killtree "$1" spare
          printf 'printf '\''%%s%%s:K:%%d\\n'\'' %s %s %d\n' "${T:0:16}" "${T:16}" "$2" >&3 ;;
      P*) __ab_check ;;
      R*) __ab_killtree "${line:1}"; kill -9 "${line:1}" 2>/dev/null; exec 3>&-; __ab_start ;;
    esac
  done
}
"""


def supervisor_program(token: str, workdir: str) -> bytes:
    """The bytes sent first on the container's stdin: the supervisor and its start call."""
    return (SUPERVISOR + f"__ab_main {_single_quote(token)} {_single_quote(workdir)}\n").encode()


def _single_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


_SAFE = frozenset(
    b'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-+=.,:/@%^*()[]{}<>|&;#~`!?$"'
)
_ESCAPE = [chr(b) if b in _SAFE else f"\\x{b:02x}" for b in range(256)]
_ESCAPE[ord("\n")] = "\\n"
_ESCAPE[ord("\t")] = "\\t"


def ansi_c_quote(text: str) -> str:
    """`text` as one bash $'...' word with no newline in it (NUL bytes dropped)."""
    return ansi_c_quote_bytes(text.encode("utf-8", "surrogateescape"))


def ansi_c_quote_bytes(data: bytes) -> str:
    """`data` as one bash $'...' word with no newline in it (NUL bytes dropped)."""
    return "$'" + "".join([_ESCAPE[b] for b in data.replace(b"\0", b"")]) + "'"


def command_line(command: str, seq: int) -> bytes:
    """The framed line that runs `command` in the worker as command number `seq`."""
    # No leading `{`: after an eval syntax error bash 5.2 misparses a next line that starts
    # with a reserved word. stdin is /dev/null so a command cannot eat the control stream.
    # The worker's PROMPT_COMMAND prints the sentinel (the token never appears whole here).
    return f"C__ab_seq={seq}; eval {ansi_c_quote(command)} </dev/null 2>&1\n".encode()
